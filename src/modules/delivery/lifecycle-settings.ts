/**
 * How long a recipient has, per urgency (OtherInfo/Priority 0 Thường … 4 Hỏa tốc hẹn giờ), to say
 * a copy arrived (01) and to accept or reject it (03/02). Decree 30/2020 asks for receipt the same
 * day and urgent documents at once; operators tune the figures (seconds) in the configuration.
 */
export abstract class LifecycleSettings {
  abstract readonly arrivalSeconds: readonly number[];
  abstract readonly decisionSeconds: readonly number[];
}

export const DEFAULT_ARRIVAL_SECONDS = [8 * 3600, 2 * 3600, 3600, 900, 900];
export const DEFAULT_DECISION_SECONDS = [3 * 86400, 86400, 4 * 3600, 3600, 3600];

/** Priority 1 (Khẩn) and above travel in the urgent lane. */
export function isUrgent(priority: number | null | undefined): boolean {
  return (priority ?? 0) >= 1;
}

export function dueDates(
  settings: LifecycleSettings,
  priority: number | null | undefined,
  from: Date,
): { arrival: Date; decision: Date } {
  const p = Math.max(0, Math.min(4, priority ?? 0));
  return {
    arrival: new Date(from.getTime() + (settings.arrivalSeconds[p] ?? settings.arrivalSeconds[0]!) * 1000),
    decision: new Date(from.getTime() + (settings.decisionSeconds[p] ?? settings.decisionSeconds[0]!) * 1000),
  };
}
