import { createMap, expect, hydrated, test } from "./helpers";

test("maps are renamed, duplicated and deleted from the list", async ({ page }) => {
  await createMap(page, "Blank map", "List chores");
  await page.goto("/");
  await hydrated(page);

  await page.getByRole("button", { name: "Rename List chores" }).click();
  await page.getByRole("textbox", { name: "New title" }).fill("List chores renamed");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("link", { name: "List chores renamed", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Duplicate List chores renamed" }).click();
  await expect(page.getByRole("link", { name: "Copy of List chores renamed" })).toBeVisible();

  await page.getByRole("button", { name: "Delete Copy of List chores renamed" }).click();
  await page.getByRole("button", { name: "Delete map" }).click();
  await expect(page.getByRole("link", { name: "Copy of List chores renamed" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "List chores renamed", exact: true })).toBeVisible();
});

test("an unknown map is a clear 404", async ({ page }) => {
  const response = await page.goto("/maps/00000000-0000-4000-8000-000000000000");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Nothing here" })).toBeVisible();
});
