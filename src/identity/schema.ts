import { z } from "@hono/zod-openapi";

export const email = z
  .email()
  .max(254)
  .transform((value) => value.trim().toLowerCase())
  .openapi({ example: "founder@example.com" });

export const password = z.string().min(10).max(256).openapi({ description: "10–256 characters.", example: "correct horse battery" });

export const user = z
  .object({ id: z.string(), email: z.string(), name: z.string(), createdAt: z.string() })
  .openapi("User");

export const registerBody = z.strictObject({ email, password, name: z.string().trim().min(1).max(200) }).openapi("RegisterRequest");
export const loginBody = z.strictObject({ email, password: z.string().min(1).max(256) }).openapi("LoginRequest");
export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) }).openapi("RefreshRequest");

export const session = z
  .object({
    user,
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires." }),
  })
  .openapi("Session");

export const me = z
  .object({
    user,
    memberships: z.array(z.object({ businessId: z.string(), name: z.string(), role: z.string() })),
  })
  .openapi("Me");
