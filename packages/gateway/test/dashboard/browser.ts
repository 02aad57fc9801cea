// Real headless Chromium for the dashboard's tests: Debian's /usr/bin/chromium driven by playwright-core
// (never a downloaded browser). Every request a page makes is recorded, so tests can prove nothing leaves
// the gateway's origin.
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

export const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface SignedInPage {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser, baseUrl: string, viewport = DESKTOP): Promise<SignedInPage> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  return { context, page, requests, close: () => context.close() };
}

export async function signIn(
  browser: Browser,
  baseUrl: string,
  email: string,
  password: string,
  viewport = DESKTOP,
): Promise<SignedInPage> {
  const opened = await openPage(browser, baseUrl, viewport);
  await opened.page.goto("/login");
  await opened.page.getByLabel("Email").fill(email);
  await opened.page.getByLabel("Password").fill(password);
  await opened.page.getByRole("button", { name: "Sign in" }).click();
  await opened.page.waitForURL(`${baseUrl}/`);
  return opened;
}

/** The page is readable without sideways scrolling at its viewport width. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  // A string expression: the test code is typed for Node, without the DOM library.
  const { scrollWidth, clientWidth } = (await page.evaluate(
    "({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })",
  )) as { scrollWidth: number; clientWidth: number };
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

/** The session's CSRF token as the page carries it in its forms. */
export async function csrfOf(page: Page): Promise<string> {
  return page.locator('input[name="_csrf"]').first().inputValue();
}
