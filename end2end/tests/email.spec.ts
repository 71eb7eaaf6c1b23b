// Email, end to end: a Waymark of this file's own sends through a real SMTP server (aiosmtpd,
// run by .ci/smtp-sink.py on loopback), and the tests read each delivered message and follow
// its link in Chromium: a password reset, a reset asked for an unknown address, an invitation,
// a mention's notification and its unsubscribe link; and a map's reviews.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMap, expect, hydrated, saved, test } from "./helpers";

const python = process.env.WAYMARK_SMTP_PYTHON;
const bin = process.env.WAYMARK_BIN ?? "";
// Beside the suite's own server (its port) and the embed test's two.
const port = Number(process.env.WAYMARK_TEST_PORT ?? 3917) + 10;
const base = `http://127.0.0.1:${port}`;
const ADA = { email: "ada@example.com", name: "Ada Admin", password: "correct horse battery" };

test.describe.configure({ mode: "serial" });
test.use({ baseURL: base, storageState: { cookies: [], origins: [] } });

let sink: ChildProcess | undefined;
let server: ChildProcess | undefined;
let mailDir = "";
/** The map Carol is invited to (the first test makes it). */
let mailedMap = "";
const CAROL = { email: "carol@example.com", password: "carol's long password" };

test.beforeAll(async () => {
  if (!python) {
    throw new Error("WAYMARK_SMTP_PYTHON must name a Python with aiosmtpd (.ci/test sets it).");
  }
  mailDir = mkdtempSync(join(tmpdir(), "waymark-mail-"));
  sink = spawn(python, ["../.ci/smtp-sink.py", "--dir", mailDir], { stdio: ["ignore", "pipe", "inherit"] });
  const smtpPort = await new Promise<number>((resolve, reject) => {
    sink!.stdout!.once("data", (chunk) => {
      const found = /listening on (\d+)/.exec(String(chunk));
      if (found) resolve(Number(found[1]));
      else reject(new Error(`the SMTP sink said ${chunk}`));
    });
    sink!.once("exit", (code) => reject(new Error(`the SMTP sink exited (${code})`)));
  });
  const env = {
    ...process.env,
    WAYMARK_DATA_DIR: mkdtempSync(join(tmpdir(), "waymark-mail-data-")),
    WAYMARK_ADDR: `127.0.0.1:${port}`,
    WAYMARK_SITE_DIR: process.env.WAYMARK_SITE_DIR ?? "../target/site",
    WAYMARK_LOG: "warn",
    WAYMARK_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    WAYMARK_SMTP_FROM: "Waymark <maps@example.com>",
    WAYMARK_PUBLIC_URL: base,
    WAYMARK_ADMIN_PASSWORD: ADA.password,
    // Notifications gather a second before they are mailed, not five minutes.
    WAYMARK_NOTIFICATION_DELAY: "1",
  };
  execFileSync(bin, ["create-admin", "--email", ADA.email, "--name", ADA.name], { env });
  server = spawn(bin, ["serve"], { env, stdio: ["ignore", "ignore", "inherit"] });
  await expect
    .poll(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status, { timeout: 30_000 })
    .toBe(200);
});

test.afterAll(() => {
  server?.kill();
  sink?.kill();
});

/** One delivered message: its headers and its plain-text part, decoded. */
type Mail = { headers: string; text: string };

function decode(body: string, encoding: string): string {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding)) {
    const bytes = body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

function parse(raw: string): Mail {
  const [headers] = raw.split(/\r?\n\r?\n/, 1);
  // The text/plain alternative: its own headers, then its body up to the next boundary.
  const part = /Content-Type: text\/plain[^]*?\r?\n\r?\n([^]*?)\r?\n--/i.exec(raw);
  if (!part) throw new Error(`no plain-text part in\n${raw}`);
  const partHeaders = raw.slice(part.index, part.index + part[0].length - part[1].length);
  const encoding = /Content-Transfer-Encoding: *(\S+)/i.exec(partHeaders)?.[1] ?? "7bit";
  return { headers, text: decode(part[1], encoding) };
}

/** Every message delivered so far. */
function delivered(): Mail[] {
  return readdirSync(mailDir)
    .filter((name) => name.endsWith(".eml"))
    .sort()
    .map((name) => parse(readFileSync(join(mailDir, name), "utf8")));
}

function to(address: string): Mail[] {
  return delivered().filter((mail) => new RegExp(`^To: .*${address.replace(".", "\\.")}`, "mi").test(mail.headers));
}

/** Waits for the `n`th message to `address` and returns it. */
async function nthMailTo(address: string, n: number): Promise<Mail> {
  await expect.poll(() => to(address).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(n);
  return to(address)[n - 1];
}

function link(mail: Mail, path: RegExp): string {
  const found = new RegExp(`${base.replace(/\./g, "\\.")}${path.source}`).exec(mail.text);
  if (!found) throw new Error(`no link like ${path} in\n${mail.text}`);
  return found[0];
}

async function askForReset(page: import("@playwright/test").Page, email: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status")).toHaveText(/If an account exists for that email, we sent it a link/);
}

async function signIn(page: import("@playwright/test").Page, email: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${base}/`);
}

test("an invitation by email reaches that address, and only that address can accept it", async ({ browser, page }) => {
  await signIn(page, ADA.email, ADA.password);
  await createMap(page, "Customer journey", "Mailed map");
  const mapUrl = page.url();
  mailedMap = mapUrl;
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await page.getByRole("combobox", { name: "Role for the invitation" }).selectOption("editor");
  await page.getByLabel("Email the invitation is for").fill("carol@example.com");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page.getByText("We emailed the invitation to that address too.")).toBeVisible();
  const shown = await page.getByLabel("Invitation link (valid 7 days)").inputValue();

  const mail = await nthMailTo("carol@example.com", 1);
  expect(mail.headers).toMatch(/^Subject: Ada Admin invited you to Waymark/m);
  expect(mail.headers).toMatch(/^From: Waymark <maps@example\.com>/m);
  expect(mail.text).toContain("Ada Admin invited you to Waymark to the map “Mailed map” as editor");
  const invite = link(mail, /\/invite\/[0-9a-f]{64}/);
  expect(invite).toBe(shown);

  const carol = await (await browser.newContext({ baseURL: base })).newPage();
  await carol.goto(invite);
  await hydrated(carol);
  await carol.getByLabel("Your name").fill("Carol");
  await carol.getByLabel("Email").fill("mallory@example.com");
  await carol.getByLabel("Password").fill("carol's long password");
  await carol.getByRole("button", { name: "Create my account" }).click();
  await expect(carol.getByRole("alert")).toContainText("this invitation is for another email address");
  await carol.getByLabel("Email").fill("carol@example.com");
  await carol.getByRole("button", { name: "Create my account" }).click();
  await expect(carol).toHaveURL(mapUrl);
  await expect(carol.getByRole("heading", { level: 1 })).toHaveText("Mailed map");
});

test("a password reset by email: the link sets a new password once", async ({ browser, page }) => {
  await askForReset(page, ADA.email);
  const mail = await nthMailTo(ADA.email, 1);
  expect(mail.headers).toMatch(/^Subject: Set a new Waymark password/m);
  const reset = link(mail, /\/login\?reset=[0-9a-f]{64}/);

  await page.goto(reset);
  await hydrated(page);
  await page.getByLabel(/New password/).fill("a new and long password");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page).toHaveURL(/\/login\?password_set/);
  await expect(page.getByRole("status")).toHaveText("Your new password is set. Sign in with it.");
  await signIn(page, ADA.email, "a new and long password");

  // The same link again: refused, in a browser of its own.
  const again = await (await browser.newContext({ baseURL: base })).newPage();
  await again.goto(reset);
  await expect(again.getByRole("heading", { name: "This link can't be used" })).toBeVisible();
  await expect(again.getByRole("button", { name: "Set password" })).toHaveCount(0);
  // …and the old password is no longer the account's.
  await again.goto("/login");
  await hydrated(again);
  await again.getByLabel("Email").fill(ADA.email);
  await again.getByLabel("Password").fill(ADA.password);
  await again.getByRole("button", { name: "Sign in" }).click();
  await expect(again.getByRole("alert")).toContainText("don't match an account");
});

test("a reset asked for an unknown email gets the same answer and sends nothing", async ({ page }) => {
  const before = delivered().length;
  await askForReset(page, "nobody@example.com");
  // A known address asked after it: once its mail is here, the unknown one's would have been.
  await askForReset(page, ADA.email);
  await nthMailTo(ADA.email, 2);
  expect(to("nobody@example.com")).toEqual([]);
  expect(delivered().length).toBe(before + 1);
});

/** Carol, in a browser of her own, comments on the mailed map's Checkout card. */
async function carolComments(browser: import("@playwright/test").Browser, text: string) {
  const carol = await (await browser.newContext({ baseURL: base })).newPage();
  await signIn(carol, CAROL.email, CAROL.password);
  await carol.goto(mailedMap);
  await hydrated(carol);
  const card = carol.locator(".card").filter({ has: carol.getByRole("button", { name: "Checkout", exact: true }) });
  await card.hover();
  await card.getByRole("button", { name: "Comments" }).click();
  await carol.getByRole("textbox", { name: "New comment" }).fill(text);
  await carol.getByRole("textbox", { name: "New comment" }).press("Enter");
  await saved(carol);
  await carol.context().close();
}

test("a mention is mailed; its link unsubscribes in one press; the account page switches it back", async ({ browser, page }) => {
  const before = to(ADA.email).length;
  await carolComments(browser, "@Ada Admin is guest checkout planned?");
  const mail = await nthMailTo(ADA.email, before + 1);
  expect(mail.text).toContain("Carol mentioned you on “Checkout”: “@Ada Admin is guest checkout planned?”");
  expect(mail.text).toContain(mailedMap);
  // Mail programs offer their own button for it (RFC 8058).
  expect(mail.headers).toMatch(/^List-Unsubscribe:\s*<http:\/\/127\.0\.0\.1:\d+\/notifications\/unsubscribe\/[^>]+>/m);
  expect(mail.headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);

  // Opening the link changes nothing until its one button is pressed; no sign-in needed.
  const unsubscribe = link(mail, /\/notifications\/unsubscribe\/[0-9a-f]{32}\.[mrdv]+\.[0-9a-f]{32}/);
  await page.goto(unsubscribe);
  await expect(page.getByRole("heading", { name: "Unsubscribe" })).toBeVisible();
  await expect(page.getByText("Stop the emails about mentions of you in comments?")).toBeVisible();
  await page.getByRole("button", { name: "Unsubscribe" }).click();
  await expect(page.getByRole("status")).toHaveText("You will no longer get emails about mentions of you in comments.");

  await signIn(page, ADA.email, "a new and long password");
  await page.goto("/account");
  await hydrated(page);
  const mentions = page.getByRole("checkbox", { name: "Someone mentions me in a comment (@name)" });
  await expect(mentions).not.toBeChecked();
  await expect(page.getByRole("checkbox", { name: /replies to a comment thread/ })).toBeChecked();
  await mentions.check();
  await page.getByRole("button", { name: "Save notification settings" }).click();
  await expect(page.getByRole("status")).toHaveText("Notification settings saved.");
  await page.reload();
  await hydrated(page);
  await expect(mentions).toBeChecked();

  // Switched back on, the next mention is mailed again.
  await carolComments(browser, "@Ada Admin ping");
  const again = await nthMailTo(ADA.email, before + 2);
  expect(again.text).toContain("“@Ada Admin ping”");
});

/** Opens a map row's review menu (a list that reloaded may have closed it, or not). */
async function openReviews(row: import("@playwright/test").Locator) {
  const menu = row.locator("details.reviews-menu");
  const open = await menu.evaluate((d) => (d as HTMLDetailsElement).open);
  if (!open) await menu.locator("summary").click();
}

test("an owner sets how often a map is reviewed and marks it reviewed on the maps page", async ({ page }) => {
  await signIn(page, ADA.email, "a new and long password");
  await hydrated(page);
  const row = page.locator(".map-row").filter({ hasText: "Mailed map" });
  await expect(row.locator(".map-meta")).not.toContainText("review");
  await openReviews(row);
  await row.getByLabel("Review this map").selectOption("30");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(row.locator(".map-meta")).toContainText("never reviewed; next review");
  await openReviews(row);
  await row.getByRole("button", { name: "Mark reviewed" }).click();
  await expect(row.locator(".map-meta")).toContainText(/reviewed .* by Ada Admin; next review/);
  // Set back to never: the map says nothing about reviews again.
  await openReviews(row);
  await row.getByLabel("Review this map").selectOption("");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(row.locator(".map-meta")).not.toContainText("review");
});
