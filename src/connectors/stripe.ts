// Stripe (api.stripe.com/v1). Stripe reads form-encoded bodies whatever the content type says, so
// we do too: a JSON body does not hide an amount from us that Stripe would see.
import { apiConnector } from './api-connector.js';
import { STRIPE_ROUTES } from './stripe-routes.js';

export const stripeConnector = apiConnector({
  type: 'stripe',
  title: 'Stripe',
  domains: ['api.stripe.com'],
  auth: 'bearer',
  credentialHeaders: ['authorization'],
  maxBodyBytes: 256 * 1024,
  rootPath: '/v1',
  routes: STRIPE_ROUTES,
  bodyFormat: 'form',
  coerce: {
    amount: 'number',
    percent_off: 'number',
    confirm: 'boolean',
    cancel_at_period_end: 'boolean',
    active: 'boolean',
    submit: 'boolean',
  },
  docs: {
    parameters: [
      'amount (number, smallest currency unit; also from unit_amount, amount_off, amount_to_capture), currency, customer: from form bodies, or the query string of GET requests',
      'id: the object id in the path (ch_…, cus_…, sub_…, in_…)',
      'charge, payment_intent, destination, email, url, ... where listed',
    ],
    notes: [
      'A repeated form key counts with its last value, as Stripe reads it.',
      "A body over 256 KiB is refused by the gateway; an unreadable body gives the path's action with `body_error`.",
    ],
  },
});
