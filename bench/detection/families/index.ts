// Every family of the detection benchmark, benign first.
import { BENIGN_FAMILIES } from './benign.js';
import { FAULT_FAMILIES } from './faults.js';
import type { FamilyDef } from './common.js';

export type { FamilyDef } from './common.js';
export const FAMILIES: readonly FamilyDef[] = [...BENIGN_FAMILIES, ...FAULT_FAMILIES];

export function family(name: string): FamilyDef {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f) throw new Error(`unknown family "${name}"; known: ${FAMILIES.map((x) => x.name).join(', ')}`);
  return f;
}
