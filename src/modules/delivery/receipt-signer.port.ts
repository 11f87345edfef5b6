/** Port: signs a receipt the bus wrote (its root element, in canonical form) with the bus's key. */
export abstract class ReceiptSigner {
  abstract sign(canonicalRoot: string): string;
}
