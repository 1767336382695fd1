import { z } from "@hono/zod-openapi";
import { isCurrency } from "../platform/currencies.js";
import { API_KEY_ROLES, ROLES } from "./roles.js";

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
  .refine(isCurrency, "is not an active ISO 4217 currency")
  .openapi({ example: "USD" });

const name = z.string().trim().min(1).max(200);

export const business = z
  .object({
    id: z.string(),
    name: z.string(),
    baseCurrency: z.string(),
    role: z.enum(ROLES).openapi({ description: "Your role in this business." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Business");

export const createBusinessBody = z.strictObject({ name, baseCurrency: currencyCode }).openapi("CreateBusiness");
export const updateBusinessBody = z
  .strictObject({ name: name.optional(), baseCurrency: currencyCode.optional() })
  .openapi("UpdateBusiness");

export const member = z
  .object({
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    joinedAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Member");

export const addMemberBody = z
  .strictObject({ email: z.email().max(254).transform((v) => v.trim().toLowerCase()), role: z.enum(ROLES) })
  .openapi("AddMember");
export const updateMemberBody = z.strictObject({ role: z.enum(ROLES) }).openapi("UpdateMember");

export const apiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(API_KEY_ROLES),
    createdBy: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

export const createdApiKey = apiKey
  .extend({
    key: z.string().nullable().openapi({
      description:
        "The secret key. Shown only in this response; store it now. null when the answer is a repeat under the same Idempotency-Key: the secret is never stored.",
    }),
  })
  .openapi("CreatedApiKey");

export const createApiKeyBody = z.strictObject({ name, role: z.enum(API_KEY_ROLES) }).openapi("CreateApiKey");

export const userIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" } }),
  userId: z.string().max(64).openapi({ param: { name: "userId", in: "path" } }),
});

export const keyIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" } }),
  keyId: z.string().max(64).openapi({ param: { name: "keyId", in: "path" } }),
});
