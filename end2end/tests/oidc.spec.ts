// Single sign-on against a real OpenID provider: oidc-provider (OpenID Certified), started here
// on loopback by `oidc/provider.mjs`, with two Waymarks of this test's own: one that takes
// passwords too and gives accounts to `allowed.example`, and one that is "SSO only" and new.
// See the provider script for its accounts (`unverified:` and `other-app:` logins).
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN } from "../playwright.config";
import { createMap, expect, hydrated, test } from "./helpers";

const base = Number(process.env.WAYMARK_TEST_PORT ?? 3917);
const PORTS = { both: base + 20, only: base + 21, provider: base + 22 };
const at = (port: number) => `http://127.0.0.1:${port}`;
const LABEL = "Example ID";
const CALLBACK = "/auth/oidc/callback";

const children: ChildProcess[] = [];

function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

async function exited(child: ChildProcess) {
  const code = await new Promise((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`${child.spawnargs.join(" ")} exited with ${code}`);
}

/** Waits until `url` answers (a server starting). */
async function answers(url: string) {
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A Waymark on `port` with a fresh data directory, single sign-on through the test provider. */
async function waymark(port: number, sso: Record<string, string>, admin: boolean) {
  const bin = process.env.WAYMARK_BIN!;
  const env = {
    WAYMARK_ADDR: `127.0.0.1:${port}`,
    WAYMARK_DATA_DIR: mkdtempSync(join(tmpdir(), "waymark-oidc-")),
    WAYMARK_SITE_DIR: process.env.WAYMARK_SITE_DIR ?? "../target/site",
    WAYMARK_LOG: "warn",
    WAYMARK_ADMIN_PASSWORD: ADMIN.password,
    WAYMARK_OIDC_ISSUER: at(PORTS.provider),
    WAYMARK_OIDC_CLIENT_ID: "waymark",
    WAYMARK_OIDC_CLIENT_SECRET: "waymark-test-secret",
    WAYMARK_OIDC_NAME: LABEL,
    ...sso,
  };
  if (admin) {
    await exited(start(bin, ["create-admin", "--email", ADMIN.email, "--name", ADMIN.name], env));
  }
  start(bin, ["serve"], env);
  await answers(`${at(port)}/healthz`);
}

// In order, in one worker (they share the servers below), each test on its own.
test.describe.configure({ mode: "default" });

test.beforeAll(async () => {
  start("node", ["oidc/provider.mjs"], {
    OIDC_PORT: String(PORTS.provider),
    WAYMARK_CALLBACK: [PORTS.both, PORTS.only].map((p) => at(p) + CALLBACK).join(","),
  });
  await answers(`${at(PORTS.provider)}/.well-known/openid-configuration`);
  await waymark(PORTS.both, { WAYMARK_OIDC_ALLOWED_DOMAINS: "allowed.example" }, true);
  await waymark(PORTS.only, { WAYMARK_OIDC_ONLY: "true" }, false);
});

test.afterAll(() => {
  for (const child of children) child.kill();
});

/** A browser with nobody signed in, on the Waymark at `port`. */
async function visitor(browser: Browser, port: number): Promise<Page> {
  const context = await browser.newContext({ baseURL: at(port), storageState: { cookies: [], origins: [] } });
  return context.newPage();
}

/** Signs in at the provider as `login` (any password) and consents, from its own pages. */
async function atProvider(page: Page, login: string) {
  await page.getByPlaceholder("Enter any login").fill(login);
  await page.getByPlaceholder("and password").fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

/** Single sign-on from the sign-in page, as `login` at the provider, from the keyboard. */
async function signInWithSso(page: Page, login: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: `Sign in with ${LABEL}` }).focus();
  await page.keyboard.press("Enter");
  await atProvider(page, login);
}

async function expectSignedOut(page: Page) {
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?next=/);
}

test("an account signs in through the provider, and the sign-in page passes axe-core", async ({ browser }) => {
  const page = await visitor(browser, PORTS.both);
  await page.goto("/login");
  await hydrated(page);
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
  await signInWithSso(page, ADMIN.email);
  await expect(page).toHaveURL(`${at(PORTS.both)}/`);
  await page.goto("/account");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(ADMIN.name);
});

test("an invitation bound to an email decides the role of whoever signs in with it", async ({ browser }) => {
  const admin = await visitor(browser, PORTS.both);
  await signInWithSso(admin, ADMIN.email);
  await expect(admin).toHaveURL(`${at(PORTS.both)}/`);
  await createMap(admin, "Customer journey", "Partner onboarding");
  const mapUrl = admin.url();
  await admin.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await admin.getByRole("combobox", { name: "Role for the invitation" }).selectOption("editor");
  await admin.getByLabel("Email the invitation is for").fill("erin@partner.example");
  await admin.getByRole("button", { name: "Create invitation link" }).click();
  await expect(admin.getByLabel("Invitation link (valid 7 days)")).toHaveValue(/\/invite\//);

  const erin = await visitor(browser, PORTS.both);
  await signInWithSso(erin, "erin@partner.example");
  await expect(erin).toHaveURL(mapUrl);
  await hydrated(erin);
  await expect(erin.getByRole("heading", { level: 1 })).toHaveText("Partner onboarding");
  await expect(erin.getByRole("button", { name: "Add stage" })).toBeVisible();
});

test("an allowed domain gets an account; any other email without one is refused", async ({ browser }) => {
  const newcomer = await visitor(browser, PORTS.both);
  await signInWithSso(newcomer, "nina@allowed.example");
  await expect(newcomer).toHaveURL(`${at(PORTS.both)}/`);
  await newcomer.goto("/account");
  await expect(newcomer.getByText("nina@allowed.example")).toBeVisible();

  const stranger = await visitor(browser, PORTS.both);
  await signInWithSso(stranger, "sam@elsewhere.example");
  await expect(stranger).toHaveURL(/\/login\?sso_error=no_account/);
  await expect(stranger.getByRole("alert")).toHaveText(
    "No Waymark account for sam@elsewhere.example; ask an admin for an invitation.",
  );
  await expectSignedOut(stranger);
});

test("an email the provider has not verified is refused", async ({ browser }) => {
  const page = await visitor(browser, PORTS.both);
  // Of an allowed domain, so only the missing verification stands in the way.
  await signInWithSso(page, "unverified:uma@allowed.example");
  await expect(page.getByRole("alert")).toHaveText(
    "Your provider has not verified uma@allowed.example, so it cannot sign you in here.",
  );
  await expectSignedOut(page);
});

test("an ID token the provider issued for another application is refused", async ({ browser }) => {
  const page = await visitor(browser, PORTS.both);
  // The admin's own email, verified: the audience is all that is wrong.
  await signInWithSso(page, `other-app:${ADMIN.email}`);
  await expect(page.getByRole("alert")).toHaveText(
    "The provider's answer could not be trusted, so you were not signed in.",
  );
  await expectSignedOut(page);
});

test("a callback replayed with the same state and code is refused", async ({ browser }) => {
  const page = await visitor(browser, PORTS.both);
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: `Sign in with ${LABEL}` }).click();
  // What a thief of this browser's cookie and of the callback's address would hold.
  const binding = (await page.context().cookies(at(PORTS.both) + "/auth/oidc")).find((c) => c.name === "waymark_sso");
  expect(binding).toBeDefined();
  const callback = page.waitForRequest((request) => request.url().includes(CALLBACK));
  await atProvider(page, ADMIN.email);
  const replayed = (await callback).url();
  await expect(page).toHaveURL(`${at(PORTS.both)}/`);

  const thief = await visitor(browser, PORTS.both);
  await thief.context().addCookies([{ ...binding!, expires: -1 }]);
  await thief.goto(replayed);
  await expect(thief.getByRole("alert")).toHaveText(
    "That sign-in was already used or took too long; please sign in again.",
  );
  await expectSignedOut(thief);
});

test("with single sign-on only, there is no password form and the first to sign in is the admin", async ({ browser }) => {
  const page = await visitor(browser, PORTS.only);
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await expect(page.getByText("The first person to sign in administers this Waymark.")).toBeVisible();
  await expect(page.getByLabel("Password")).toHaveCount(0);
  // The server refuses passwords too, not only the page: server/tests/it/sso.rs.
  await signInWithSso(page, "boss@only.example");
  await expect(page).toHaveURL(`${at(PORTS.only)}/`);
  await page.goto("/account");
  await expect(page.getByText("boss@only.example · admin")).toBeVisible();

  const second = await visitor(browser, PORTS.only);
  await signInWithSso(second, "second@only.example");
  await expect(second.getByRole("alert")).toHaveText(
    "No Waymark account for second@only.example; ask an admin for an invitation.",
  );
});
