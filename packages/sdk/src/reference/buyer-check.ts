// Asks FBR about a buyer before the invoice is sent: STATL (§5.11, active taxpayer on a day) and
// Get_Reg_Type (§5.12, Registered or unregistered). A buyerRegistrationType that disagrees with FBR's
// register is refused live with 0053 [SINGLE, spec/data/di-runtime-error-observations.json].

import type { BuyerRegistrationType } from "../model/index.ts";
import { pakistanDate } from "../time/pakistan-time.ts";
import { ReferenceApiError, type ReferenceClient } from "./client.ts";

export interface BuyerRegistrationCheck {
  /** The number FBR was asked about (a dashed CNIC is sent without its dashes). */
  ntnOrCnic: string;
  /** The Pakistan calendar day STATL was asked about ("2025-05-18"). */
  day: string;
  /** From Get_Reg_Type: what `buyerRegistrationType` must say; null when FBR could not answer. */
  registrationType: BuyerRegistrationType | null;
  /** From STATL: true "Active", false "In-Active"; null when FBR could not answer or said something else. */
  active: boolean | null;
  /** FBR's own answers, verbatim, for the record. */
  answers: {
    statl: { statusCode: string; status: string } | null;
    regType: { statusCode: string; registrationType: string } | null;
  };
  /** One line per lookup that failed ("/dist/v1/statl: HTTP 503"); empty when both answered. */
  problems: string[];
}

const CNIC_DASHED = /^(\d{5})-(\d{7})-(\d)$/;
const BUYER_ID = /^(?:\d{7}|\d{7}-\d|\d{13})$/;

/**
 * The buyer number as FBR's lookups take it: 7-digit NTN, NTN with check digit ("1234567-8") or 13-digit
 * CNIC; a dashed CNIC ("42101-1234567-8", as printed on the card) loses its dashes. Undefined otherwise.
 */
export function normaliseBuyerId(text: string): string | undefined {
  const trimmed = text.trim();
  const dashed = CNIC_DASHED.exec(trimmed);
  const id = dashed === null ? trimmed : `${dashed[1]}${dashed[2]}${dashed[3]}`;
  return BUYER_ID.test(id) ? id : undefined;
}

function registrationTypeOf(statusCode: string, type: string): BuyerRegistrationType | null {
  const word = type.trim().toLowerCase();
  if (word === "registered") return "Registered";
  if (word === "unregistered") return "Unregistered";
  // The spec's samples pair "00" with Registered and "01" with unregistered.
  if (statusCode === "00") return "Registered";
  if (statusCode === "01") return "Unregistered";
  return null;
}

function activeOf(status: string): boolean | null {
  const word = status.trim().toLowerCase().replace(/[\s-]/g, "");
  if (word === "active") return true;
  if (word === "inactive") return false;
  return null;
}

/**
 * Both lookups, side by side. One failing still gives the other's answer (with the failure in `problems`);
 * a refused token, or both failing, throws the ReferenceApiError so the caller can tell the user.
 * @example
 * const check = await checkBuyerRegistration(new ReferenceClient({ token }), "2046004", { date: new Date() });
 * if (check.registrationType !== null) invoice.buyerRegistrationType = check.registrationType;
 */
export async function checkBuyerRegistration(
  client: ReferenceClient,
  ntnOrCnic: string,
  options: { date: Date },
): Promise<BuyerRegistrationCheck> {
  const id = normaliseBuyerId(ntnOrCnic);
  if (id === undefined) {
    throw new ReferenceApiError(
      "reference_bad_request",
      `"${ntnOrCnic}" is not a 7-digit NTN, an NTN with check digit (1234567-8) or a 13-digit CNIC`,
      { endpoint: "/dist/v1/Get_Reg_Type" },
    );
  }
  const [statl, regType] = await Promise.allSettled([
    client.registrationStatus({ registrationNo: id, date: options.date }),
    client.registrationType(id),
  ]);
  const failures = [statl, regType].flatMap((result) =>
    result.status === "rejected" ? [result.reason as unknown] : [],
  );
  const refused = failures.find(
    (error) => error instanceof ReferenceApiError && error.code === "reference_unauthorised",
  );
  if (refused !== undefined) throw refused;
  if (failures.length === 2) throw failures[0];
  const statlAnswer = statl.status === "fulfilled" ? statl.value : undefined;
  const regTypeAnswer = regType.status === "fulfilled" ? regType.value : undefined;
  return {
    ntnOrCnic: id,
    day: pakistanDate(options.date),
    registrationType:
      regTypeAnswer === undefined
        ? null
        : registrationTypeOf(regTypeAnswer.statuscode, regTypeAnswer.REGISTRATION_TYPE),
    active: statlAnswer === undefined ? null : activeOf(statlAnswer.status),
    answers: {
      statl:
        statlAnswer === undefined
          ? null
          : { statusCode: statlAnswer["status code"], status: statlAnswer.status },
      regType:
        regTypeAnswer === undefined
          ? null
          : { statusCode: regTypeAnswer.statuscode, registrationType: regTypeAnswer.REGISTRATION_TYPE },
    },
    problems: failures.map((error) => (error instanceof Error ? error.message : String(error))),
  };
}
