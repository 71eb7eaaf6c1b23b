// Signs in each test account once and keeps its session for the tests (`storageState`).
import { chromium, type FullConfig } from "@playwright/test";
import { ADMIN, BOB } from "../playwright.config";

export default async function globalSetup(config: FullConfig) {
  const { baseURL, launchOptions } = config.projects[0].use;
  const browser = await chromium.launch(launchOptions);
  for (const [account, file] of [
    [ADMIN, ".auth/admin.json"],
    [BOB, ".auth/bob.json"],
  ] as const) {
    const page = await browser.newPage({ baseURL });
    await page.goto("/login");
    await page.waitForFunction(() => document.documentElement.classList.contains("hydrated"));
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await page.context().storageState({ path: file });
    await page.close();
  }
  await browser.close();
}
