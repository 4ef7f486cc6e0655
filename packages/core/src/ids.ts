// Branded identifiers: a RunId is never confused with a NodeId at compile time.
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type RunId = Brand<string, 'RunId'>;
export type NodeId = Brand<string, 'NodeId'>;
export type TicketId = Brand<string, 'TicketId'>;
export type TimerId = Brand<string, 'TimerId'>;
export type PatchId = Brand<string, 'PatchId'>;
export type IrHash = Brand<string, 'IrHash'>;

export const RunId = (s: string): RunId => s as RunId;
export const NodeId = (s: string): NodeId => s as NodeId;
export const TicketId = (s: string): TicketId => s as TicketId;
export const TimerId = (s: string): TimerId => s as TimerId;
export const PatchId = (s: string): PatchId => s as PatchId;
export const IrHash = (s: string): IrHash => s as IrHash;
