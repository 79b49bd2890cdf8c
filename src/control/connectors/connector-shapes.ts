// The shapes a connector's domains and auth scheme may take, shared by the API and config apply so an
// applied connector is exactly one the API would accept.
export const DOMAIN_PATTERN =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$/;
export const AUTH_PATTERN = /^(bearer|basic|none|header:[A-Za-z0-9-]{1,64}|query:[A-Za-z0-9_.-]{1,64})$/;
