import type { z } from 'zod';

/**
 * The value of a function's environment variable.
 *
 * @throws {Error} "`NAME` environment variable is not set" when it is missing or empty
 */
export function requiredVariable(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '')
    throw new Error(`\`${name}\` environment variable is not set`);
  return value;
}

/**
 * A function's JSON settings variable, parsed and validated: the settings a
 * function gets from `streamfold.config.ts` through its environment.
 *
 * @throws {Error} when it is missing, not JSON, or invalid (naming the setting and the value)
 */
export function jsonSettingsVariable<T extends z.ZodType>(
  env: NodeJS.ProcessEnv,
  name: string,
  schema: T,
): z.infer<T> {
  const raw = requiredVariable(env, name);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${name} is not valid JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const given = issue && 'input' in issue ? ` (given ${JSON.stringify(issue.input)})` : '';
    throw new Error(`${name}.${issue?.path.join('.')}: ${issue?.message}${given}`);
  }
  return parsed.data;
}
