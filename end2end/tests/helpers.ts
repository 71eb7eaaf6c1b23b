import { test as base, expect, type Page, type WebSocketRoute } from "@playwright/test";

/**
 * Playwright's `test`, failing any test during which a page threw an uncaught error (a Rust
 * panic in the browser shows up as one).
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ context }, use) => {
      const errors: string[] = [];
      context.on("page", (page) => watchErrors(page, errors));
      await use(errors);
      expect(errors, "uncaught errors in the page").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Records `page`'s uncaught errors in `errors`, with the Rust panic message when there is one. */
export function watchErrors(page: Page, errors: string[]) {
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    // A Rust panic, or something the page's Content-Security-Policy blocked.
    if (msg.type() === "error" && /panicked|Content Security Policy/.test(msg.text())) {
      errors.push(msg.text().split("\n").slice(0, 2).join(" "));
    }
  });
}

/** Waits until the page has hydrated and its editing controls work. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.documentElement.classList.contains("hydrated"));
}

/** Creates a map from the template whose label starts with `template` and opens it. */
export async function createMap(page: Page, template: string, title: string) {
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("radio", { name: new RegExp(`^${template}`) }).check();
  await page.getByLabel("Title (optional)").fill(title);
  await page.getByRole("button", { name: "Create map" }).click();
  await expect(page).toHaveURL(/\/maps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await hydrated(page);
}

/** Waits until every edit has reached the server. */
export async function saved(page: Page) {
  await expect(page.getByRole("status")).toHaveText(/All changes saved/);
}

/** The stage names, left to right. */
export async function stageNames(page: Page): Promise<string[]> {
  return (await page.locator(".stage-name").allInnerTexts()).map((t) => t.trim());
}

/** Edits click-to-edit text: clicks the text, types the new value, presses Enter. */
export async function editText(page: Page, current: string, label: string, value: string) {
  await page.getByRole("button", { name: current, exact: true }).click();
  const input = page.getByRole("textbox", { name: label });
  await input.fill(value);
  await input.press("Enter");
}

/**
 * Lets a test cut a page's live connection. Chromium's offline emulation does not close an open
 * WebSocket, so this routes the page's sockets through Playwright: `offline()` closes them and
 * refuses new ones until `online()`.
 */
export async function network(page: Page) {
  const sockets: WebSocketRoute[] = [];
  let down = false;
  await page.routeWebSocket(/\/ws\/maps\//, (ws) => {
    if (down) {
      void ws.close();
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });
  return {
    async offline() {
      down = true;
      await page.context().setOffline(true);
      for (const ws of sockets.splice(0)) {
        await ws.close();
      }
    },
    async online() {
      down = false;
      await page.context().setOffline(false);
    },
  };
}

/** Makes a share link of the open map and the public form of its touchpoint `card`. */
export async function shareAndFormLinks(page: Page, card: string): Promise<{ share: string; form: string }> {
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await page.getByRole("button", { name: "Create link" }).click();
  const share = await page.getByLabel("Share link (shown only now)").inputValue();
  await page.locator(".card", { hasText: card }).getByRole("button", { name: "Feedback on this touchpoint" }).click();
  const panel = page.locator(".touchpoint-feedback");
  await panel.getByRole("button", { name: "Collect feedback here" }).click();
  await saved(page);
  const form = await panel.getByLabel("Public form").inputValue();
  return { share, form };
}

/** Opens the feedback panel of the touchpoint card `name` and turns its survey on; returns the
 * public form's link. */
export async function collectFeedback(page: Page, name: string): Promise<string> {
  const card = page.locator(".card", { hasText: name });
  await card.getByRole("button", { name: "Feedback on this touchpoint" }).click();
  const panel = page.locator(".touchpoint-feedback");
  await expect(panel.getByRole("heading", { level: 2 })).toContainText(name);
  await panel.getByRole("button", { name: "Collect feedback here" }).click();
  await saved(page);
  const link = panel.getByLabel("Public form");
  await expect(link).toHaveValue(/\/f\/[A-Za-z0-9_-]{16,}$/);
  await expect(panel.getByRole("img", { name: "QR code of the form link" })).toBeVisible();
  return link.inputValue();
}
