import { describe, expect, it } from "vitest";
import { checkBuyerRegistration, normaliseBuyerId, ReferenceApiError, ReferenceClient } from "./index.ts";

interface Call {
  url: string;
  method: string;
  body: string | undefined;
}

/** A fake FBR answering per "METHOD path" (query ignored); every call is recorded. */
function fakeFbr(routes: Record<string, (call: Call) => Response>): { calls: Call[]; fetch: typeof fetch } {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const call: Call = { url, method: init?.method ?? "GET", body: init?.body as string | undefined };
    calls.push(call);
    const route = routes[`${call.method} ${new URL(url).pathname}`];
    return route === undefined ? new Response("not found", { status: 404 }) : route(call);
  }) as typeof fetch;
  return { calls, fetch: fetchImpl };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const client = (fetchImpl: typeof fetch) =>
  new ReferenceClient({ token: "t0ken-abcdef", baseUrl: "http://127.0.0.1:9", fetch: fetchImpl });

const DAY = new Date("2025-05-18T20:30:00Z"); // 01:30 on 19 May in Pakistan

describe("checkBuyerRegistration", () => {
  it("POSTs both documented bodies and reads Registered / Active", async () => {
    const fbr = fakeFbr({
      "POST /dist/v1/statl": () => json({ "status code": "00", status: "Active" }),
      "POST /dist/v1/Get_Reg_Type": () =>
        json({ statuscode: "00", REGISTRATION_NO: "2046004", REGISTRATION_TYPE: "Registered" }),
    });
    const check = await checkBuyerRegistration(client(fbr.fetch), "2046004", { date: DAY });
    expect(check).toEqual({
      ntnOrCnic: "2046004",
      day: "2025-05-19",
      registrationType: "Registered",
      active: true,
      answers: {
        statl: { statusCode: "00", status: "Active" },
        regType: { statusCode: "00", registrationType: "Registered" },
      },
      problems: [],
    });
    const bodies = fbr.calls.map((call) => `${call.method} ${call.url} ${call.body ?? ""}`).sort();
    expect(bodies).toEqual([
      'POST http://127.0.0.1:9/dist/v1/Get_Reg_Type {"Registration_No":"2046004"}',
      'POST http://127.0.0.1:9/dist/v1/statl {"regno":"2046004","date":"2025-05-19"}',
    ]);
  });

  it("asks again with GET and query parameters when FBR refuses the POST (405)", async () => {
    const fbr = fakeFbr({
      "POST /dist/v1/statl": () => new Response("", { status: 405 }),
      "GET /dist/v1/statl": () => json({ "status code": "02", status: "In-Active" }),
      "POST /dist/v1/Get_Reg_Type": () => new Response("", { status: 405 }),
      "GET /dist/v1/Get_Reg_Type": () =>
        json({ statuscode: "01", REGISTRATION_NO: "4210112345678", REGISTRATION_TYPE: "unregistered" }),
    });
    const check = await checkBuyerRegistration(client(fbr.fetch), "42101-1234567-8", { date: DAY });
    expect(check.ntnOrCnic).toBe("4210112345678");
    expect(check.registrationType).toBe("Unregistered");
    expect(check.active).toBe(false);
    const gets = fbr.calls.filter((call) => call.method === "GET").map((call) => call.url);
    expect(gets.sort()).toEqual([
      "http://127.0.0.1:9/dist/v1/Get_Reg_Type?Registration_No=4210112345678",
      "http://127.0.0.1:9/dist/v1/statl?regno=4210112345678&date=2025-05-19",
    ]);
    expect(gets.every((url) => !url.includes("t0ken"))).toBe(true);
  });

  it("gives one lookup's answer when the other fails, naming the failure", async () => {
    const fbr = fakeFbr({
      "POST /dist/v1/statl": () => new Response("busy", { status: 503 }),
      "POST /dist/v1/Get_Reg_Type": () =>
        json({ statuscode: "00", REGISTRATION_NO: "2046004", REGISTRATION_TYPE: "Registered" }),
    });
    const check = await checkBuyerRegistration(client(fbr.fetch), "2046004", { date: DAY });
    expect(check.registrationType).toBe("Registered");
    expect(check.active).toBeNull();
    expect(check.answers.statl).toBeNull();
    expect(check.problems).toEqual(["/dist/v1/statl: HTTP 503"]);
  });

  it("throws when FBR refuses the token, even if one lookup answered", async () => {
    const fbr = fakeFbr({
      "POST /dist/v1/statl": () => new Response("", { status: 401 }),
      "POST /dist/v1/Get_Reg_Type": () =>
        json({ statuscode: "00", REGISTRATION_NO: "2046004", REGISTRATION_TYPE: "Registered" }),
    });
    await expect(checkBuyerRegistration(client(fbr.fetch), "2046004", { date: DAY })).rejects.toMatchObject({
      code: "reference_unauthorised",
    });
  });

  it("throws when both lookups fail", async () => {
    const fbr = fakeFbr({});
    const error = await checkBuyerRegistration(client(fbr.fetch), "2046004", { date: DAY }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ReferenceApiError);
    // 404 on the POST, then 404 on the GET fallback: two calls per lookup.
    expect(fbr.calls).toHaveLength(4);
  });

  it("refuses a number FBR's lookups cannot take, without calling FBR", async () => {
    const fbr = fakeFbr({});
    await expect(checkBuyerRegistration(client(fbr.fetch), "12-34", { date: DAY })).rejects.toMatchObject({
      code: "reference_bad_request",
    });
    expect(fbr.calls).toHaveLength(0);
  });
});

describe("normaliseBuyerId", () => {
  it.each([
    ["2046004", "2046004"],
    [" 1234567-8 ", "1234567-8"],
    ["4210112345678", "4210112345678"],
    ["42101-1234567-8", "4210112345678"],
    ["421011234567", undefined],
    ["42101-1234567", undefined],
    ["abcdefg", undefined],
  ])("%s -> %s", (input, expected) => {
    expect(normaliseBuyerId(input)).toBe(expected);
  });
});
