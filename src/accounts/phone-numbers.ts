import { parsePhoneNumber } from 'awesome-phonenumber';
import { errors } from '../errors.ts';

/**
 * A mobile number in E.164 (`+919876543210`), the one form in which numbers
 * are stored, looked up, limited and texted: `+91 98765-43210`,
 * `919876543210`, `00919876543210` and `09876543210` are all the same
 * number. Numbers without a country code belong to `region` (the
 * `PHONE_DEFAULT_REGION`). Anything Google's libphonenumber does not
 * recognise as a valid number is a 400.
 */
export function normalizeMobile(input: string, region: string): string {
  const parsed = input.length <= 32 ? parsePhoneNumber(input.trim(), { regionCode: region }) : undefined;
  if (!parsed?.valid) throw errors.invalidMobile();
  return parsed.number.e164;
}
