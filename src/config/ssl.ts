// Placeholder: effective SSL settings as node-postgres and as libpq compute them.
export {}
