import { z } from 'zod';
import { requiredCredentialSchema } from '../catalog/schemas.js';

/** The most a credential value may hold, in UTF-8 bytes. */
export const MAX_CREDENTIAL_VALUE_BYTES = 32 * 1024;

/** A credential's name: the same UPPER_SNAKE_CASE names manifests declare. */
export const credentialNameSchema = requiredCredentialSchema.shape.name;

/** A credential's value: non-empty text within the size limit (the message never echoes it). */
export const credentialValueSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_CREDENTIAL_VALUE_BYTES, {
    message: `must be at most ${MAX_CREDENTIAL_VALUE_BYTES} bytes`,
  });
