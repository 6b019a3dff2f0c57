import { type Acvpu, type News2Result, type TriageLevel } from '@neva/contracts';
export interface VitalSet {
    respiratory_rate?: number | null;
    spo2?: number | null;
    /** 2 only for confirmed hypercapnic respiratory failure; a per-patient setting. */
    spo2_scale?: 1 | 2 | null;
    on_oxygen?: boolean | null;
    systolic_bp?: number | null;
    pulse?: number | null;
    consciousness?: Acvpu | null;
    temperature?: number | null;
}
/** Rounds halves away from zero at `decimals`, exactly on the decimal digits (36.05 → 36.1). */
export declare function roundHalfAway(x: number, decimals?: number): number;
/** Neva's triage floor: red ≥ 7; yellow 5–6 or any single parameter scoring 3; else green. */
export declare function news2Level(score: number, subscores: Iterable<number | null>): TriageLevel;
export declare function news2(v: VitalSet): News2Result;
