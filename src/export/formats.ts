/** The export formats (export/run.ts), in a module of their own so the CLI lists them without loading TF.js layers. */
export const EXPORT_FORMATS = ['tfjs', 'sparse'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** TF.js's own weight quantisation dtypes (the weights manifest's `quantization.dtype`), for the tfjs format. */
export const TFJS_QUANTIZE = ['uint8', 'float16'] as const;
export type TfjsQuantize = (typeof TFJS_QUANTIZE)[number];
