/**
 * Where account code reads the time. Tokens and one-time passwords take it
 * as a parameter so tests can move the clock instead of sleeping.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
