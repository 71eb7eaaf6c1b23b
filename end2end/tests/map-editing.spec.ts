import { createMap, editText, expect, hydrated, network, saved, stageNames, test } from "./helpers";

test("a map built from a template keeps every edit across a reload", async ({ page }) => {
  await createMap(page, "Experience journey", "Coffee shop onboarding");
  expect(await stageNames(page)).toEqual(["Awareness", "Consideration", "Purchase", "Post-purchase"]);

  // Add a stage and name it.
  await page.getByRole("button", { name: "Add stage" }).click();
  await editText(page, "New stage", "Stage name", "Loyalty");

  // Add a card to the new stage.
  await page.getByRole("button", { name: "Add card to Loyalty · Customer actions" }).click();
  const composer = page.getByRole("textbox", { name: "New card text" });
  await composer.fill("Orders the usual without asking");
  await composer.press("Enter");
  await composer.press("Escape");

  // Rename a lane.
  await editText(page, "Thoughts", "Lane name", "What they think");

  // Reorder two stages.
  await page.getByRole("button", { name: "Move stage Awareness right" }).click();
  await saved(page);
  expect(await stageNames(page)).toEqual([
    "Consideration",
    "Awareness",
    "Purchase",
    "Post-purchase",
    "Loyalty",
  ]);

  await page.reload();
  await hydrated(page);
  expect(await stageNames(page)).toEqual([
    "Consideration",
    "Awareness",
    "Purchase",
    "Post-purchase",
    "Loyalty",
  ]);
  const cell = page.getByRole("region", { name: "Loyalty · Customer actions" });
  await expect(cell.getByText("Orders the usual without asking")).toBeVisible();
  await expect(page.locator(".lane-name")).toContainText(["What they think"]);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Coffee shop onboarding");
});

test("a card's text edits from the keyboard, and its selects set and keep its fields", async ({ page }) => {
  await createMap(page, "Experience journey", "Card fields");
  // By id: while its text is open, the card's text is an input's value, not its content.
  const id = await page.locator("article.card", { hasText: "Local social post" }).getAttribute("id");
  const card = page.locator(`[id="${id}"]`);

  // Enter opens the text, Escape closes it unchanged and gives the keyboard its place back.
  await card.getByRole("button", { name: "Local social post" }).focus();
  await page.keyboard.press("Enter");
  const box = card.getByRole("textbox", { name: "Card text" });
  await expect(box).toBeFocused();
  await box.fill("Radio advert");
  await box.press("Escape");
  await expect(card.getByRole("button", { name: "Local social post" })).toBeFocused();

  // The selects show the card's fields, and set them.
  const channel = card.getByRole("combobox", { name: "Channel" });
  await expect(channel).toHaveValue("social");
  await channel.selectOption({ label: "Email" });
  const evidence = card.getByRole("combobox", { name: "Evidence" });
  await expect(evidence).toHaveValue("");
  await evidence.selectOption({ label: "Research-backed" });
  const mood = page.locator("article.card", { hasText: "Intrigued" }).getByRole("combobox", { name: "Emotion" });
  await expect(mood).toHaveValue("1");
  await mood.selectOption({ label: "-2 Very negative" });

  // Enter saves a new text.
  await editText(page, "Local social post", "Card text", "Radio advert");
  await saved(page);

  await page.reload();
  await hydrated(page);
  const kept = page.locator(`[id="${id}"]`);
  await expect(kept).toContainText("Radio advert");
  await expect(kept.getByRole("combobox", { name: "Channel" })).toHaveValue("email");
  await expect(kept.getByRole("combobox", { name: "Evidence" })).toHaveValue("research_backed");
  await expect(
    page.locator("article.card", { hasText: "Intrigued" }).getByRole("combobox", { name: "Emotion" }),
  ).toHaveValue("-2");
});

test("undo and redo replay the user's own edits, and are saved", async ({ page }) => {
  await createMap(page, "Blank map", "Undo check");
  await editText(page, "Stage 1", "Stage name", "Discover");
  await page.getByRole("button", { name: "Delete stage Stage 2" }).click();
  expect(await stageNames(page)).toEqual(["Discover", "Stage 3"]);

  await page.keyboard.press("Control+z");
  expect(await stageNames(page)).toEqual(["Discover", "Stage 2", "Stage 3"]);
  await page.keyboard.press("Control+z");
  expect(await stageNames(page)).toEqual(["Stage 1", "Stage 2", "Stage 3"]);
  await page.keyboard.press("Control+Shift+z");
  expect(await stageNames(page)).toEqual(["Discover", "Stage 2", "Stage 3"]);
  await saved(page);

  await page.reload();
  expect(await stageNames(page)).toEqual(["Discover", "Stage 2", "Stage 3"]);
});

test("cards move between cells by keyboard and by drag and drop", async ({ page }) => {
  await createMap(page, "Customer journey", "Moving cards");
  const source = page.getByRole("region", { name: "Awareness · Customer actions" });
  const card = source.locator(".card").first();
  await expect(card).toContainText("Sees a friend's post");

  // Alt+ArrowRight moves the focused card to the next stage.
  await card.focus();
  await page.keyboard.press("Alt+ArrowRight");
  const consideration = page.getByRole("region", { name: "Consideration · Customer actions" });
  await expect(consideration.locator(".card")).toHaveCount(2);
  await expect(consideration.locator(".card").last()).toContainText("Sees a friend's post");
  await expect(source.locator(".card")).toHaveCount(0);

  // Drag it on to the Purchase stage.
  const purchase = page.getByRole("region", { name: "Purchase · Customer actions" });
  await consideration.locator(".card").last().dragTo(purchase);
  await expect(purchase.locator(".card")).toHaveCount(2);
  await saved(page);

  await page.reload();
  await expect(purchase.locator(".card").last()).toContainText("Sees a friend's post");
});

test("the emotion curve is edited in place with the keyboard", async ({ page }) => {
  await createMap(page, "Customer journey", "Feelings");
  const point = page.getByRole("slider", { name: "Emotion at Consideration" });
  await expect(point).toHaveAttribute("aria-valuenow", "-1");
  await point.focus();
  await page.keyboard.press("ArrowUp");
  await expect(page.getByRole("slider", { name: "Emotion at Consideration" })).toHaveAttribute(
    "aria-valuenow",
    "0",
  );
  await saved(page);
  await page.reload();
  await expect(page.getByRole("slider", { name: "Emotion at Consideration" })).toHaveAttribute(
    "aria-valuenow",
    "0",
  );
});

test("edits made while offline are kept and saved on reconnect", async ({ page }) => {
  const net = await network(page);
  await createMap(page, "Blank map", "Flaky network");
  await saved(page);
  await net.offline();
  await expect(page.getByRole("status")).toContainText("Offline");
  await editText(page, "Stage 1", "Stage name", "Edited offline");
  await expect(page.getByRole("status")).toContainText("1 change kept");
  expect(await stageNames(page)).toEqual(["Edited offline", "Stage 2", "Stage 3"]);

  await net.online();
  await saved(page);
  await page.reload();
  expect(await stageNames(page)).toEqual(["Edited offline", "Stage 2", "Stage 3"]);
});
