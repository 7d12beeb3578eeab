/** The plugin's version, written into the preamble of every generated file. Keep in step with package.json. */
export const version = "0.1.0";
