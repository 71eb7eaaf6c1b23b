// Playwright drives Debian's Chromium (never a downloaded browser) against a Waymark server
// that this config starts on a free port with a fresh data directory.
import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = Number(process.env.WAYMARK_TEST_PORT ?? 3917);
const server = process.env.WAYMARK_BIN;
if (!server) {
  throw new Error("WAYMARK_BIN must name the built waymark binary (.ci/test sets it).");
}
const dataDir = mkdtempSync(join(tmpdir(), "waymark-e2e-"));

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: true,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
    trace: "retain-on-failure",
  },
  webServer: {
    command: server,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      WAYMARK_ADDR: `127.0.0.1:${port}`,
      WAYMARK_DATA_DIR: dataDir,
      WAYMARK_SITE_DIR: process.env.WAYMARK_SITE_DIR ?? "../target/site",
      WAYMARK_LOG: "warn",
    },
  },
});
