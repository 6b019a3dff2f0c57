// The character rules of every id in the contracts, defined once. Values never reach SQL as text
// (bound parameters, hashed deduplication tokens: docs/security/injection.md); these rules are the
// second wall, and they keep ids printable wherever they are shown, logged or exported.
//
//   ID_PATTERN           Neva's own ids and the ids a gateway normalizes: gateway, device,
//                        patient, encounter, order, unit, user-facing ids. Letters, digits . _ : / -
//   DEVICE_TEXT_PATTERN  Ids as a device or analyzer sends them and Neva keeps as sent: HL7 alert
//                        identifiers (OBR-3 / OBR-29 components joined with "^"), lab sample ids,
//                        analyzer test codes, order codes. Printable ASCII, inner spaces allowed;
//                        never a quote ' " `, a backslash, ";", a control character, or a space at
//                        either end. Real captures pass: "0^3d313edb-…^0000000000000001^EUI-64",
//                        "T20 10134GA D28", "LYM#", "685/", "RDW-CV".
//   SITE_PATTERN         A site as the hospital system names it ("City Hospital 1").
//   NAME_PATTERN         Place names that are not ids (districts, wards, beds; "Children's Hospital"):
//                        anything printable, no control character.
import { Type } from '@sinclair/typebox'

export const ID_PATTERN = '^[A-Za-z0-9._:/-]+$'
const DEVICE_CHAR = 'A-Za-z0-9!#$%&()*+,./:<=>?@\\[\\]^_{|}~-'
export const DEVICE_TEXT_PATTERN = `^[${DEVICE_CHAR}]([ ${DEVICE_CHAR}]*[${DEVICE_CHAR}])?$`
export const SITE_PATTERN = '^[A-Za-z0-9._:/-]([A-Za-z0-9 ._:/-]*[A-Za-z0-9._:/-])?$'
export const NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$'

const ID_RE = new RegExp(ID_PATTERN)
const DEVICE_TEXT_RE = new RegExp(DEVICE_TEXT_PATTERN)

/** Longest id Neva keeps (device, patient, order…); an alarm id is "<device>/<the device's own id>". */
export const MAX_ID = 128
export const MAX_ALARM_ID = 256

export const Identifier = Type.String({ minLength: 1, maxLength: MAX_ID, pattern: ID_PATTERN })
/** An id kept as the device sent it. */
export const DeviceText = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: DEVICE_TEXT_PATTERN })
/** A code that may be empty ('' when none): the device-text rule otherwise. */
export const OptionalCode = (maxLength: number) => Type.String({ maxLength, pattern: `^$|${DEVICE_TEXT_PATTERN}` })
export const SiteName = Type.String({ minLength: 1, maxLength: 64, pattern: SITE_PATTERN })
export const PlaceName = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: NAME_PATTERN })
/** An alarm's id: the device id, "/", and the device's own alarm identifier (device text). */
export const AlarmId = Type.String({ minLength: 1, maxLength: MAX_ALARM_ID, pattern: DEVICE_TEXT_PATTERN })

export const isIdentifier = (s: string): boolean => s.length >= 1 && s.length <= MAX_ID && ID_RE.test(s)
export const isDeviceText = (s: string, maxLength: number): boolean => s.length >= 1 && s.length <= maxLength && DEVICE_TEXT_RE.test(s)
export const isAlarmId = (s: string): boolean => isDeviceText(s, MAX_ALARM_ID)
