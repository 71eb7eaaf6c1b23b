import type { Browser, Page } from "@playwright/test";
import { createServer } from "node:http";
import { ADMIN, EMBEDDER_PORTS } from "../playwright.config";
import { createMap, expect, hydrated, test, watchErrors } from "./helpers";

/** A browser context with nobody signed in. */
async function stranger(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  watchErrors(page, errors);
  return page;
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function openSharePanel(page: Page) {
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
}

test("an invited viewer sees the map without edit controls, and a forged change is refused", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Customer journey", "Viewer's map");
  const mapUrl = page.url();
  await openSharePanel(page);
  await page.getByRole("combobox", { name: "Role for the invitation" }).selectOption("viewer");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const invite = await page.getByLabel("Invitation link (valid 7 days)").inputValue();
  expect(invite).toMatch(/\/invite\/[0-9a-f]{64}$/);

  const viewer = await stranger(browser, pageErrors);
  await viewer.goto(invite);
  await hydrated(viewer);
  await expect(viewer.getByText(`${ADMIN.name} invited you to the map “Viewer's map” as viewer`)).toBeVisible();
  await viewer.getByLabel("Your name").fill("Vera Viewer");
  await viewer.getByLabel("Email").fill("vera@example.com");
  await viewer.getByLabel("Password").fill("a viewer's long password");
  await viewer.getByRole("button", { name: "Create my account" }).click();
  await expect(viewer).toHaveURL(mapUrl);
  await hydrated(viewer);
  await expect(viewer.getByRole("heading", { level: 1 })).toHaveText("Viewer's map");
  await expect(viewer.getByText("Compares models and reads reviews")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Add stage" })).toBeHidden();
  await expect(viewer.getByRole("button", { name: /^Move stage/ }).first()).toBeHidden();
  await expect(viewer.getByRole("status")).toHaveText("All changes saved");
  // Nothing seems editable from the keyboard either: names are text, selects are disabled.
  await viewer.locator(".stage-name", { hasText: "Awareness" }).click();
  await viewer.keyboard.press("Tab");
  await viewer.keyboard.press("Enter");
  await expect(viewer.getByRole("textbox")).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Awareness", exact: true })).toHaveCount(0);
  await expect(viewer.getByRole("combobox", { name: /^Type of lane/ }).first()).toBeDisabled();

  // A hand-made change over the live connection is refused.
  const answer = await viewer.evaluate(async (url) => {
    const id = url.split("/").pop();
    const socket = new WebSocket(`ws://${location.host}/ws/maps/${id}`);
    return await new Promise<string>((resolve) => {
      socket.onopen = () => socket.send(JSON.stringify({ hello: { protocol: 5, since: 0, name: "x" } }));
      socket.onmessage = (event) => {
        const msg = JSON.parse(event.data);
        if (msg.welcome) {
          socket.send(JSON.stringify({ submit: { ops: [{ id: crypto.randomUUID(), edit: { rename_map: { title: "Hijacked" } } }] } }));
        }
        if (msg.error) resolve(msg.error.message);
      };
    });
  }, mapUrl);
  expect(answer).toContain("not change it");

  // …and so is a hand-made form post to a server function (its address taken from the owner's
  // page, where the delete confirmation shows the form).
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("button", { name: "Delete Viewer's map" }).click();
  const deleteAction = await page.locator('form[action*="delete_map"]').first().getAttribute("action");
  const forged = await viewer.request.post(deleteAction!, {
    form: { id: mapUrl.split("/").pop()! },
    headers: { Accept: "application/json" },
  });
  expect(forged.status()).toBe(403);
  await page.goto(mapUrl);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Viewer's map");
  await viewer.context().close();
});

test("a share link works signed out, live, and stops working when revoked", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Blank map", "Shared by link");
  await openSharePanel(page);
  await page.getByLabel("Link label").fill("For the board");
  await page.getByRole("button", { name: "Create link" }).click();
  const link = await page.getByLabel("Share link (shown only now)").inputValue();
  expect(link).toMatch(/\/s\/[0-9a-f]{64}$/);

  const visitor = await stranger(browser, pageErrors);
  await visitor.goto(link);
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText("Shared by link");
  await expect(visitor.getByText("updates live as the team edits")).toBeVisible();
  await expect(visitor.getByRole("button", { name: "Add stage" })).toHaveCount(0);

  // Live: an edit by the owner reaches the visitor.
  await page.getByRole("button", { name: "Stage 1", exact: true }).click();
  await page.getByRole("textbox", { name: "Stage name" }).fill("Discover");
  await page.getByRole("textbox", { name: "Stage name" }).press("Enter");
  await expect(visitor.locator(".stage-name", { hasText: "Discover" })).toBeVisible();

  // The link works without JavaScript too.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: { cookies: [], origins: [] } });
  const plainPage = await plain.newPage();
  await plainPage.goto(link);
  await expect(plainPage.locator(".stage-name", { hasText: "Discover" })).toBeVisible();
  await plain.close();

  // Revoked, the open page says so by itself.
  await page.getByRole("button", { name: "Revoke link For the board" }).click();
  await expect(visitor.getByRole("heading", { name: "This link doesn't open a map any more" })).toBeVisible();
  await visitor.context().close();
});

test("a password-protected link asks for its password", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Blank map", "Behind a password");
  await openSharePanel(page);
  await page.getByLabel("Link password").fill("open sesame please");
  await page.getByRole("button", { name: "Create link" }).click();
  const link = await page.getByLabel("Share link (shown only now)").inputValue();

  const visitor = await stranger(browser, pageErrors);
  await visitor.goto(link);
  await expect(visitor.getByRole("heading", { name: "This map is protected" })).toBeVisible();
  await visitor.getByLabel("Password").fill("wrong password here");
  await visitor.getByRole("button", { name: "Open map" }).click();
  await expect(visitor.getByRole("alert")).toContainText("not right");
  await visitor.getByLabel("Password").fill("open sesame please");
  await visitor.getByRole("button", { name: "Open map" }).click();
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText("Behind a password");
  await visitor.context().close();
});

test("the embed view frames only on allowed origins", async ({ browser, page }) => {
  await createMap(page, "Experience journey", "Embedded journey");
  await openSharePanel(page);
  await page.getByRole("button", { name: "Create link" }).click();
  const snippet = await page.getByLabel("Embed in an intranet page").inputValue();
  expect(snippet).toContain("/embed/");

  // Two intranet pages with the snippet: one on the allowed origin, one elsewhere.
  const sites = [EMBEDDER_PORTS.allowed, EMBEDDER_PORTS.other].map((port) => {
    const site = createServer((_, response) => {
      response.setHeader("content-type", "text/html");
      response.end(`<!DOCTYPE html><h1>Intranet</h1>${snippet}`);
    });
    site.listen(port, "127.0.0.1");
    return site;
  });
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const intranet = await context.newPage();
  await intranet.goto(`http://127.0.0.1:${EMBEDDER_PORTS.allowed}/`);
  const frame = intranet.frameLocator("iframe");
  await expect(frame.getByRole("heading", { level: 1 })).toHaveText("Embedded journey");
  await expect(frame.getByRole("link", { name: "Open in Waymark ↗" })).toBeVisible();

  const refusals: string[] = [];
  intranet.on("console", (msg) => refusals.push(msg.text()));
  await intranet.goto(`http://127.0.0.1:${EMBEDDER_PORTS.other}/`);
  await expect(intranet.getByRole("heading", { name: "Intranet" })).toBeVisible();
  await expect.poll(() => refusals.some((text) => text.includes("frame-ancestors"))).toBe(true);
  await expect(frame.getByRole("heading", { level: 1 })).toHaveCount(0);
  for (const site of sites) {
    site.close();
  }
  // The map page itself refuses to be framed anywhere.
  const map = await page.request.get(page.url());
  expect(map.headers()["x-frame-options"]).toBe("DENY");
  expect(map.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await context.close();
});

test("markup in every text field renders as text and runs nothing", async ({ page, pageErrors }) => {
  const payloads = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "javascript:alert(4)",
    "</textarea><iframe src=javascript:alert(5)>",
  ];
  let dialogs = 0;
  page.on("dialog", (dialog) => {
    dialogs += 1;
    void dialog.dismiss();
  });
  await createMap(page, "Blank map", "Hostile text");
  const id = page.url().split("/").pop();
  const file = await (await page.request.get(`/maps/${id}/export/json`)).json();
  const map = file.map;
  map.title = payloads[0];
  map.scenario = payloads[1];
  map.goals = payloads[2];
  map.stages[0].name = payloads[3];
  map.lanes[0].name = payloads[4];
  map.personas[0].name = payloads[2];
  map.personas[0].frustrations = payloads[0];
  map.cards = payloads.map((text, n) => ({
    id: crypto.randomUUID(),
    stage: map.stages[n % map.stages.length].id,
    lane: map.lanes[0].id,
    position: `a${n}`,
    text,
  }));
  map.comments = [
    { id: crypto.randomUUID(), target: { kind: "card", id: map.cards[0].id }, author: payloads[1], text: payloads[0], at: 0, resolved: false },
  ];
  const imported = await page.request.post("/maps/import", { data: file });
  expect(imported.status()).toBe(201);
  const copy = (await imported.json()).id;

  await page.goto(`/maps/${copy}`);
  await hydrated(page);
  for (const text of payloads) {
    await expect(page.getByText(text, { exact: true }).first()).toBeVisible();
  }
  await page.locator(".card").first().getByRole("button", { name: /^Comments/ }).click();
  await expect(page.locator(".comment-text", { hasText: payloads[0] })).toBeVisible();
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "History" }).click();
  await expect(page.locator("img[src=x], svg[onload], iframe, body script:not([src]):not([nonce])")).toHaveCount(0);
  const svg = await (await page.request.get(`/maps/${copy}/export/svg`)).text();
  expect(svg).not.toContain("<script>");
  expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
  expect(dialogs).toBe(0);
  expect(pageErrors).toEqual([]);
});

test("guessing passwords is slowed down; signing in starts a new session; signing out ends it", async ({ browser, pageErrors }) => {
  const page = await stranger(browser, pageErrors);
  await page.context().addCookies([{ name: "waymark_session", value: "planted-by-an-attacker", url: "http://127.0.0.1" }]);
  // Guesses at one account from an address that keeps failing soon have to wait between them
  // (an account nobody else in these tests uses, so their sign-ins are not slowed).
  const target = "guessed-at@example.com";
  let slowed = false;
  for (let attempt = 0; attempt < 10 && !slowed; attempt++) {
    await signIn(page, target, `wrong password ${attempt}`);
    const alert = page.getByRole("alert");
    await expect(alert).toContainText(/don't match|too many attempts/);
    slowed = /too many attempts/.test((await alert.textContent()) ?? "");
  }
  expect(slowed).toBe(true);

  // Another account is not locked out by the attempts on this one.
  const other = await stranger(browser, pageErrors);
  await signIn(other, "bob@example.com", "correct horse battery");
  await expect(other).toHaveURL(/\/$/);
  const session = (await other.context().cookies()).find((c) => c.name === "waymark_session");
  expect(session?.value).toMatch(/^[0-9a-f]{64}$/);
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");

  // Signing out ends the session on the server: the old cookie opens nothing any more.
  await other.locator("summary", { hasText: "Bob Brown" }).click();
  await other.getByRole("button", { name: "Sign out" }).click();
  await expect(other).toHaveURL(/\/login$/);
  const replay = await browser.newContext({ storageState: { cookies: [{ ...session!, expires: -1 }], origins: [] } });
  const replayed = await replay.newPage();
  await replayed.goto("/");
  await expect(replayed).toHaveURL(/\/login$/);
  await replay.close();
  await page.context().close();
  await other.context().close();
});
