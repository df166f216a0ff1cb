import { hash, verify } from '@node-rs/argon2';

/** Hashes a password with Argon2id (the library's defaults follow OWASP's advice). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** True when `password` matches the stored hash; false for no hash or a malformed one. */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) return false;
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
