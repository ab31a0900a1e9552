// POST /api/stripe-webhook: a Stripe Checkout payment tops up the user's Settle credits. The payment id is the
// grant's reference, so Stripe's retries (and your own) grant once.
import Stripe from 'stripe';
import { settle, settleUser } from '../../../lib/settle';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);

export async function POST(request: Request): Promise<Response> {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(await request.text(), request.headers.get('stripe-signature') ?? '', process.env.STRIPE_WEBHOOK_SECRET!);
  } catch {
    return Response.json({ error: 'Bad signature' }, { status: 400 });
  }
  if (event.type !== 'checkout.session.completed') return Response.json({ received: true });

  const checkout = event.data.object;
  if (checkout.payment_status !== 'paid' || !checkout.client_reference_id) return Response.json({ received: true });
  const paymentId = typeof checkout.payment_intent === 'string' ? checkout.payment_intent : checkout.id;
  const credits = Number(checkout.metadata?.credits ?? 0);

  // Your user id was the Checkout's client_reference_id; Settle creates the user on the first top-up.
  await settle.users.create({ externalId: checkout.client_reference_id, email: checkout.customer_details?.email ?? undefined });
  const granted = await settle.credits.grant(settleUser(checkout.client_reference_id), credits, paymentId, `Stripe ${checkout.id}`);
  return Response.json({ received: true, balance: granted.balance, replayed: granted.replayed });
}
