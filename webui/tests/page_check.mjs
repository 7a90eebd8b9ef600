// The browser set-up every dashboard page check shares: Debian's chromium (headless) through
// playwright-core from the build tree's npm folder, console errors and uncaught exceptions
// collected, the API token put in the tab's sessionStorage when the daemon needs one,
// screenshots in the check's output folder, one "ok:"/"FAIL:" line per check and the exit code.
// It never decides what a page must show: the calling check does.
//
// import { runPageCheck } from ".../webui/tests/page_check.mjs";
// await runPageCheck(process.argv.slice(2), async ({ want, page, check, open, shot, text }) => { ... });
// argv: EXPECT.json OUT_DIR. EXPECT.json needs {base, npm_dir, chromium}; `token` when given is
// the human-scoped token (sent by the page as a bearer token).
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export async function runPageCheck([expectFile, outDir], body, { viewport = { width: 1400, height: 1000 } } = {}) {
  if (!expectFile || !outDir) {
    console.error("usage: node CHECK.mjs EXPECT.json OUT_DIR");
    process.exit(2);
  }
  const want = JSON.parse(readFileSync(expectFile, "utf8"));
  mkdirSync(outDir, { recursive: true });
  const require = createRequire(path.join(want.npm_dir, "package.json"));
  const { chromium } = require("playwright-core");
  const base = want.base.replace(/\/?$/, "/");
  const errors = [];
  const passed = [];

  const check = (condition, what, detail = "") => {
    if (!condition) throw new Error(`${what}${detail ? ": " + detail : ""}`);
    passed.push(what);
    console.log(`ok: ${what}`);
  };

  const browser = await chromium.launch({
    executablePath: want.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  let failure = null;
  try {
    const context = await browser.newContext({ viewport });
    if (want.token) await context.addInitScript((t) => sessionStorage.setItem("hpcmon.token", t), want.token);
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`${page.url()}: uncaught ${e.message}`));

    const shot = (name) => page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
    // open("jobs/12", "job"): the route loaded and its data drawn (main[data-ready="1"]; charts
    // are drawn just after the page's data), a screenshot, no console error, no error banner.
    const open = async (route, name, { waitFor } = {}) => {
      const before = errors.length;
      await page.goto(`${base}#/${route}`);
      await page.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
      if (waitFor) await page.waitForSelector(waitFor, { timeout: 15000 });
      await page.waitForTimeout(300);
      await shot(name);
      check(errors.length === before, `#/${route} loads without console errors`, errors.slice(before).join(" | "));
      check(await page.locator("#banner").isHidden(), `#/${route} shows no error banner`,
        await page.locator("#banner").textContent());
    };
    const text = async (selector) => ((await page.locator(selector).first().textContent()) || "").trim();
    // get("jobs/12/trace/summary"): the API's data as the page would get it (same token).
    const get = async (apiPath) => {
      const headers = want.token ? { Authorization: `Bearer ${want.token}` } : {};
      const response = await fetch(`${base}api/v1/${apiPath}`, { headers });
      const json = await response.json();
      if (json.status !== "success") throw new Error(`GET ${apiPath}: ${response.status} ${JSON.stringify(json.error)}`);
      return json.data;
    };

    await body({ want, page, check, open, shot, text, get, outDir });
    check(errors.length === 0, "no console errors at all", errors.join(" | "));
  } catch (error) {
    failure = error.message;
    console.error(`FAIL: ${failure}`);
  } finally {
    writeFileSync(path.join(outDir, "result.json"), JSON.stringify({ passed, failure, consoleErrors: errors }, null, 1));
    await browser.close();
  }
  process.exit(failure ? 1 : 0);
}
