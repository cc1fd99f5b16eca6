// Questions for a person at a terminal (@inquirer/prompts, loaded only when asked), drawn on stderr
// so that stdout holds only the command's result.

/** input, password (hidden), confirm and select, each writing to stderr. */
export async function loadPrompts() {
  const prompts = await import('@inquirer/prompts');
  const context = { output: process.stderr };
  return {
    input: (config: Parameters<typeof prompts.input>[0]) => prompts.input(config, context),
    password: (config: Parameters<typeof prompts.password>[0]) => prompts.password(config, context),
    confirm: (config: Parameters<typeof prompts.confirm>[0]) => prompts.confirm(config, context),
    select: <Value>(config: Parameters<typeof prompts.select<Value>>[0]) =>
      prompts.select<Value>(config, context),
  };
}
