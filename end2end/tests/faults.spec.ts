import { spawn } from "node:child_process";
import { join } from "node:path";
import { DATA_DIR } from "../playwright.config";
import { createMap, editText, expect, hydrated, saved, stageNames, test } from "./helpers";

/**
 * Holds the database's write lock from outside (as a backup tool or a stuck process would),
 * past the server's busy timeout, until released.
 */
async function holdWriteLock(file: string) {
  const shell = spawn("sqlite3", [file], { stdio: ["pipe", "pipe", "inherit"] });
  const held = new Promise<void>((resolve) =>
    shell.stdout.on("data", (data: Buffer) => {
      if (data.toString().includes("held")) resolve();
    }),
  );
  shell.stdin.write(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'held';\n");
  await held;
  return {
    release: async () => {
      const gone = new Promise((resolve) => shell.on("exit", resolve));
      shell.stdin.end("ROLLBACK;\n.quit\n");
      await gone;
    },
  };
}

test("edits the database cannot save are kept, said so, shown to nobody, and saved once it can", async ({ page }) => {
  await createMap(page, "Blank map", "Fault map");
  await saved(page);
  const status = page.getByRole("status");

  const lock = await holdWriteLock(join(DATA_DIR!, "waymark.sqlite"));
  await editText(page, "Stage 1", "Stage name", "Held back");
  await expect(status).toContainText("Saving");
  // The server gives up after its busy timeout and says so; the editor keeps the edit.
  await expect(status).toContainText("Not saved", { timeout: 20_000 });
  await expect(status).toHaveClass(/error/);
  expect(await stageNames(page)).toContain("Held back");
  await editText(page, "Stage 2", "Stage name", "Also held");

  // Someone opening the map meanwhile sees only what is saved.
  const other = await page.context().newPage();
  await other.goto(page.url());
  await hydrated(other);
  expect(await stageNames(other)).not.toContain("Held back");

  // The lock goes: the browser sends both again by itself, and everyone gets them.
  await lock.release();
  await expect(status).toHaveText(/All changes saved/, { timeout: 45_000 });
  await expect(other.locator(".stage-name", { hasText: "Held back" })).toBeVisible();
  await expect(other.locator(".stage-name", { hasText: "Also held" })).toBeVisible();
  await page.reload();
  await hydrated(page);
  const names = await stageNames(page);
  expect(names).toContain("Held back");
  expect(names).toContain("Also held");
});
