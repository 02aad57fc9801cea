/** The V8 flags `raseed serve` sets for itself (heap-settings.js says why). */
export declare const SERVE_V8_FLAGS: readonly string[];
/** Applies SERVE_V8_FLAGS to this process; call before the gateway's code is loaded. */
export declare function applyServeHeapSettings(): void;
