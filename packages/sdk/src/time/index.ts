// Pakistan time as FBR reads and writes it (UTC+05:00, no daylight saving): written once here.
export {
  isCalendarDate,
  PAKISTAN_UTC_OFFSET_MS,
  pakistanDate,
  pakistanDateTime,
  pakistanDayStart,
  pakistanMillisOfDay,
} from "./pakistan-time.ts";
