/** The export formats (export/run.ts), in a module of their own so the CLI lists them without loading TF.js layers. */
export const EXPORT_FORMATS = ['tfjs', 'sparse'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
