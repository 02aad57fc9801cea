export { amountInWords, formatAmountPk, wholeNumberInWords } from "./amount-in-words.ts";
export { FBR_VERIFY_STATEMENT, imsInvoiceNumberCaption, imsVerificationText } from "./authority-wording.ts";
export {
  drawReceiptLines,
  RECEIPT_COLUMNS,
  type ReceiptCanvas,
  type ReceiptLine,
  type ReceiptPdfGeometry,
  type ReceiptPdfImages,
  receiptColumns,
  receiptPdfGeometry,
  receiptPdfHeight,
  renderReceiptText,
  wrapReceiptText,
} from "./receipt-layout.ts";
