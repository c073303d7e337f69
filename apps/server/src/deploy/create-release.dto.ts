import { z } from 'zod';
import type { KubeObject, PipelineSpec } from '@switchyard/deploy';
import { namedSchema } from '../http';
import { jsonObject } from '../request-fields';

/** One Kubernetes object from deploy/<environment>/, parsed from YAML by the CLI. */
export const manifestDocumentSchema = namedSchema(
  'ManifestDocumentDto',
  z.strictObject({
    environment: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be an environment name (a DNS label)')
      .meta({ example: 'staging', description: 'The environment (folder) it belongs to' }),
    file: z.string().max(1024).meta({ example: 'deploy/staging/deployment.yaml' }),
    object: jsonObject<KubeObject>().meta({ description: 'The object; the rollout sets the image on it' }),
  }),
);

export const createReleaseSchema = namedSchema(
  'CreateReleaseDto',
  z.strictObject({
    version: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"')
      .meta({ example: 'main.42', description: 'The image tag this release publishes' }),
    gitSha: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/, 'must be a hexadecimal git commit id (7-64 characters)')
      .optional()
      .meta({ example: '4f2a9c1e0d6b8a7f3e2d1c0b9a8f7e6d5c4b3a29' }),
    branch: z.string().max(255).optional().meta({ example: 'main' }),
    buildNumber: z.string().max(64).optional().meta({ example: '42' }),
    // Only its shape here: the service validates it against the pipeline file's JSON Schema, naming each field.
    pipeline: jsonObject<PipelineSpec>().optional().meta({ description: 'The parsed switchyard.yml; validated against its JSON Schema' }),
    manifests: z
      .array(manifestDocumentSchema)
      .max(500, 'must have at most 500 items')
      .optional()
      .meta({ description: "The deploy section's manifests, for the rollout after publish" }),
  }),
);
export type CreateReleaseDto = z.output<typeof createReleaseSchema>;
