// The handle every control-plane store works on: the database itself, or a transaction a caller
// opened so several stores' writes commit together.
import type { Kysely, Transaction } from 'kysely';
import type { LocalDatabase } from '../storage/local-schema.js';

export type Db = Kysely<LocalDatabase> | Transaction<LocalDatabase>;
