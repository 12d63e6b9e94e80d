/**
 * mg/dL per mmol/L for glucose (molar mass 180.16 g/mol ÷ 10). Dexcom reports every value in
 * mg/dL whatever a record's `unit` says; converting is the client's job.
 */
export const MGDL_PER_MMOL = 18.0182;

/**
 * Converts mg/dL to mmol/L, rounded to one decimal as meters and apps show it.
 *
 * @example
 * mgdlToMmol(126); // 7
 * mgdlToMmol(100, { round: false }); // 5.54994...
 */
export function mgdlToMmol(mgdl: number, options: { round?: boolean } = {}): number {
  const mmol = mgdl / MGDL_PER_MMOL;
  return options.round === false ? mmol : Math.round(mmol * 10) / 10;
}

/**
 * Converts mmol/L to mg/dL, rounded to a whole number.
 *
 * @example
 * mmolToMgdl(5.6); // 101
 */
export function mmolToMgdl(mmol: number, options: { round?: boolean } = {}): number {
  const mgdl = mmol * MGDL_PER_MMOL;
  return options.round === false ? mgdl : Math.round(mgdl);
}
