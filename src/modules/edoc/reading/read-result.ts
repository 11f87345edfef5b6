/** What a reader found: the model, the rule breaches that refuse the package, and remarks. */
export interface ReadResult<T> {
  model: T;
  /** Breaches of QCVN 102 cardinality the schema cannot express (refuse as EDXML_INVALID). */
  problems: string[];
  /** Oddities the bus tolerates but reports on the receipt (legacy organ codes, missing manifest…). */
  warnings: string[];
}
