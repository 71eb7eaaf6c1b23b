import { createMap, expect, hydrated, test } from "./helpers";

test("the SVG export of a template map renders in Chromium", async ({ page }) => {
  await createMap(page, "Customer journey", "Exported journey");
  const id = page.url().split("/").pop();
  const response = await page.request.get(`/maps/${id}/export/svg`);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-disposition"]).toContain("exported-journey.svg");
  const svg = await response.text();

  await page.setContent(`<!DOCTYPE html><body style="margin:0">${svg}</body>`);
  const picture = page.locator("svg").first();
  const box = await picture.boundingBox();
  expect(box?.width).toBeGreaterThan(1000);
  expect(box?.height).toBeGreaterThan(600);
  await expect(picture.locator("text", { hasText: "Exported journey" })).toBeVisible();
  await expect(picture.getByText("1. Awareness", { exact: true })).toBeVisible();
  await expect(picture.getByText("Instagram post", { exact: true })).toBeVisible();
  const shot = await picture.screenshot();
  expect(shot.length).toBeGreaterThan(50_000);
});

test("a map file exported from one map imports as a new map", async ({ page }) => {
  await createMap(page, "Experience journey", "Travelling map");
  const id = page.url().split("/").pop();
  const file = await (await page.request.get(`/maps/${id}/export/json`)).body();

  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Waymark map file (.json)").setInputFiles({
    name: "travelling-map.waymark.json",
    mimeType: "application/json",
    buffer: file,
  });
  await page.getByRole("button", { name: "Import map" }).click();
  await expect(page).toHaveURL(/\/maps\/[0-9a-f-]{36}$/);
  expect(page.url()).not.toContain(id);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Travelling map");
  await expect(page.getByText("Checks the menu, reviews and opening hours")).toBeVisible();

  // A file that is not a map is refused with a reason.
  await page.goto("/");
  await page.getByLabel("Waymark map file (.json)").setInputFiles({
    name: "notes.json",
    mimeType: "application/json",
    buffer: Buffer.from('{"hello": "world"}'),
  });
  await page.getByRole("button", { name: "Import map" }).click();
  await expect(page.getByText("This is not a Waymark map file", { exact: false })).toBeVisible();
});
