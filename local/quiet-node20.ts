// The AWS SDK warns on Node 20 that its 2027 releases will need Node 22. The
// Lambdas run Node 22; on a developer's Node 20 the notice only buries the
// output people came for, so the local tools drop that one warning.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (text.startsWith('NodeVersionSupportWarning')) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
