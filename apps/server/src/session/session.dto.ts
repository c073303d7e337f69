import { z } from 'zod';
import { ROLES } from '@switchyard/auth';
import { namedSchema } from '../http';
import { oneOf, printable, trueOrFalse } from '../request-fields';

const email = () => z.email('must be an email address').max(254);
/** A password being checked: any text the person typed. */
const enteredPassword = () => z.string().min(1).max(1024);
/** A password being set. */
const newPassword = () => z.string().min(12, 'must be at least 12 characters').max(1024).meta({ minLength: 12 });
const personName = () => printable(200).min(1);
/** Per-environment role overrides; the environments are checked to exist when saved (400 naming `environmentRoles.<key>`). */
const environmentRoles = () =>
  z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be an environment key'), oneOf(ROLES))
    .refine((roles) => Object.keys(roles).length <= 50, 'must name at most 50 environments')
    .meta({
      example: { development: 'editor' },
      description: 'Role per environment key, replacing `role` in that environment for flag and segment writes, toggles and approvals; `{}` clears',
    });

export const signInSchema = namedSchema('SignInDto', z.strictObject({ email: email(), password: enteredPassword() }));

export const setupSchema = namedSchema(
  'SetupDto',
  z.strictObject({
    adminToken: z.string().min(20).max(200).meta({ description: 'The bootstrap admin API token printed at first start' }),
    email: email(),
    name: personName(),
    password: newPassword(),
  }),
);

export const createUserSchema = namedSchema(
  'CreateUserDto',
  z.strictObject({ email: email(), name: personName(), role: oneOf(ROLES), environmentRoles: environmentRoles().optional(), password: newPassword() }),
);

export const updateUserSchema = namedSchema(
  'UpdateUserDto',
  z.strictObject({
    name: personName().optional(),
    role: oneOf(ROLES).optional(),
    environmentRoles: environmentRoles().optional(),
    password: newPassword().optional(),
    disabled: trueOrFalse().optional(),
  }),
);

export const changePasswordSchema = namedSchema('ChangePasswordDto', z.strictObject({ currentPassword: enteredPassword(), newPassword: newPassword() }));
