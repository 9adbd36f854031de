/*-------------------------------------------------------------------------
 *
 * clv.c
 *	  Customer lifetime value: the clv(customer_id bigint, amount,
 *	  purchased_at) aggregate, the final arithmetic it shares with the text
 *	  form (clv_text.c), and the scalar clv(avg_purchase_value,
 *	  purchases_per_year, lifespan_years).
 *
 *	  From purchase rows, with each customer's first and last purchase:
 *		V = sum(amount) / purchases
 *		tenure_c = max(last_c - first_c, 1 year), in years of 365.25 days
 *		F = mean over customers of purchases_c / tenure_c
 *		L = mean over customers of tenure_c
 *		CLV = V * F * L, rounded once to 8 decimal places, trailing zeros
 *		dropped
 *
 *	  The state keeps one 32-byte entry per customer (id, first and last
 *	  purchase, purchases) plus the exact sum of the amounts.  While rows
 *	  are added the entries live in an open-addressing hash table that grows
 *	  by half when it is 80% full (so 40 to 60 bytes per customer).  A
 *	  serialized state lists its customers sorted by id; combining keeps such
 *	  sorted runs and merges them (runs of similar size first, so k partial
 *	  states cost O(n log k)), which makes the leader's share of a parallel
 *	  aggregate a few linear passes.  The final function reads the customers
 *	  in any of these forms without changing them.
 *
 *	  Exactness: the amounts, purchase counts and tenures are summed exactly
 *	  (tenures as 128-bit microseconds); each customer's purchases_c /
 *	  tenure_c is rounded once to a multiple of 2^-60 (about 10^-18) and
 *	  these are summed exactly in 128-bit fixed point; V * F * L is then one
 *	  exact fraction of those sums, rounded once (in long double where its
 *	  error bound settles the rounding, else in numeric).  Integer sums do
 *	  not depend on the order in which customers are met, so serial,
 *	  parallel and sharded plans give the same digits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "clv.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* One customer; purchases == 0 marks an empty slot of the hash table. */
typedef struct ClvCustomer
{
	int64		customer_id;
	TimestampTz first_at;
	TimestampTz last_at;
	int64		purchases;
} ClvCustomer;

/* A run of customers sorted by id, without empty slots. */
typedef struct ClvRun
{
	ClvCustomer *customers;
	uint32		n;
} ClvRun;

typedef struct ClvState
{
	MemoryContext mcxt;			/* where the customers live */
	/* the hash table, while rows are added */
	ClvCustomer *slots;
	uint32		nslots;
	uint32		grow_at;		/* members that make the table grow */
	uint32		members;
	/* or sorted runs, after deserialize and combine (CLV_MAX_RUNS of them) */
	int			nruns;
	ClvRun	   *runs;
	/* the amounts */
	int64		purchases;
	ExactSum	amounts;
} ClvState;

#define CLV_MIN_SLOTS	8

/* The slot where a customer's probe starts: the id mixed, scaled to nslots. */
static inline uint32
clv_home_slot(int64 id, uint32 nslots)
{
	uint64		h = (uint64) id;

	h ^= h >> 30;
	h *= UINT64CONST(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64CONST(0x94d049bb133111eb);
	h ^= h >> 31;
	return (uint32) (((h >> 32) * (uint64) nslots) >> 32);
}

/* A zeroed array of n customers in mcxt (may exceed 1 GB). */
static ClvCustomer *
clv_alloc(MemoryContext mcxt, Size n)
{
	return (ClvCustomer *) MemoryContextAllocExtended(mcxt, Max(n, 1) * sizeof(ClvCustomer),
													  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static ClvState *
clv_state_new(MemoryContext mcxt)
{
	ClvState   *state = MemoryContextAllocZero(mcxt, sizeof(ClvState));

	state->mcxt = mcxt;
	return state;
}

static void
clv_table_resize(ClvState *state, uint32 nslots)
{
	ClvCustomer *old = state->slots;
	uint32		nold = state->nslots;

	state->slots = clv_alloc(state->mcxt, nslots);
	state->nslots = nslots;
	state->grow_at = (uint32) ((uint64) nslots * 4 / 5);
	for (uint32 i = 0; i < nold; i++)
	{
		uint32		j;

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (old[i].purchases == 0)
			continue;
		for (j = clv_home_slot(old[i].customer_id, nslots);
			 state->slots[j].purchases != 0;
			 j = (j + 1 == nslots) ? 0 : j + 1)
			;
		state->slots[j] = old[i];
	}
	if (old != NULL)
		pfree(old);
}

/* Add one purchase of a customer to the hash table. */
static inline void
clv_table_add(ClvState *state, int64 id, TimestampTz at)
{
	ClvCustomer *c;
	uint32		i;

	if (unlikely(state->members >= state->grow_at))
	{
		if (state->nslots >= PG_UINT32_MAX / 3)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many customers in one clv() group"),
					 errdetail("The group has %u distinct customers.", state->members),
					 errhint("Compute CLV over smaller groups.")));
		clv_table_resize(state, Max(CLV_MIN_SLOTS, state->nslots + state->nslots / 2));
	}

	for (i = clv_home_slot(id, state->nslots);; i = (i + 1 == state->nslots) ? 0 : i + 1)
	{
		c = &state->slots[i];
		if (c->purchases == 0)
		{
			c->customer_id = id;
			c->first_at = at;
			c->last_at = at;
			c->purchases = 1;
			state->members++;
			return;
		}
		if (c->customer_id == id)
			break;
	}
	if (at < c->first_at)
		c->first_at = at;
	if (at > c->last_at)
		c->last_at = at;
	c->purchases++;
}

/* Sort customers by id: an inlined sort where PostgreSQL has one (14+). */
#if PG_VERSION_NUM >= 140000
#define ST_SORT			clv_sort_customers
#define ST_ELEMENT_TYPE ClvCustomer
#define ST_COMPARE(a, b) \
	(((a)->customer_id > (b)->customer_id) - ((a)->customer_id < (b)->customer_id))
#define ST_SCOPE		static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"
#else
static int
clv_customer_cmp(const void *a, const void *b)
{
	int64		x = ((const ClvCustomer *) a)->customer_id;
	int64		y = ((const ClvCustomer *) b)->customer_id;

	return (x > y) - (x < y);
}

static void
clv_sort_customers(ClvCustomer *customers, size_t n)
{
	qsort(customers, n, sizeof(ClvCustomer), clv_customer_cmp);
}
#endif

/* The hash table's customers as a new sorted run in mcxt. */
static ClvRun
clv_table_run(ClvState *state, MemoryContext mcxt)
{
	ClvRun		run;

	run.customers = clv_alloc(mcxt, state->members);
	run.n = 0;
	for (uint32 i = 0; i < state->nslots; i++)
		if (state->slots[i].purchases != 0)
			run.customers[run.n++] = state->slots[i];
	clv_sort_customers(run.customers, run.n);
	return run;
}

/* Merge two sorted runs into a new one in mcxt (customers met in both add up). */
static ClvRun
clv_merge_runs(ClvRun a, ClvRun b, MemoryContext mcxt)
{
	ClvRun		out;
	uint32		i = 0,
				j = 0;

	out.customers = clv_alloc(mcxt, (Size) a.n + b.n);
	out.n = 0;
	while (i < a.n || j < b.n)
	{
		ClvCustomer *c = &out.customers[out.n++];

		if ((out.n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (j >= b.n || (i < a.n && a.customers[i].customer_id < b.customers[j].customer_id))
			*c = a.customers[i++];
		else if (i >= a.n || b.customers[j].customer_id < a.customers[i].customer_id)
			*c = b.customers[j++];
		else
		{
			ClvCustomer *x = &a.customers[i++];
			ClvCustomer *y = &b.customers[j++];

			*c = *x;
			c->first_at = Min(x->first_at, y->first_at);
			c->last_at = Max(x->last_at, y->last_at);
			c->purchases = x->purchases + y->purchases;
		}
	}
	return out;
}

/* Room for the runs of a state that will hold some. */
static void
clv_state_make_runs(ClvState *state)
{
	if (state->runs == NULL)
		state->runs = MemoryContextAlloc(state->mcxt, CLV_MAX_RUNS * sizeof(ClvRun));
}

/*
 * Turn a state into runs only: its hash table, if any, becomes a sorted run.
 * Only for states this aggregate owns (the first argument of combine).
 */
static void
clv_state_to_runs(ClvState *state)
{
	clv_state_make_runs(state);
	if (state->slots == NULL)
		return;
	if (state->members > 0)
		state->runs[state->nruns++] = clv_table_run(state, state->mcxt);
	pfree(state->slots);
	state->slots = NULL;
	state->nslots = state->members = state->grow_at = 0;
}

/*
 * Push a sorted run (already in state->mcxt) on the state's stack; once it
 * holds CLV_LAZY_RUNS runs, merge the top ones while the one below is not
 * more than twice as large.
 */
static void
clv_push_run(ClvState *state, ClvRun run)
{
	state->runs[state->nruns++] = run;
	while (state->nruns >= CLV_LAZY_RUNS &&
		   (state->runs[state->nruns - 2].n <= 2 * (uint64) state->runs[state->nruns - 1].n ||
			state->nruns == CLV_MAX_RUNS))
	{
		ClvRun		a = state->runs[state->nruns - 2];
		ClvRun		b = state->runs[state->nruns - 1];

		state->runs[state->nruns - 2] = clv_merge_runs(a, b, state->mcxt);
		state->nruns--;
		pfree(a.customers);
		pfree(b.customers);
	}
}

/*
 * Transition (internal, customer_id, amount, purchased_at): rows with any
 * NULL are skipped.
 */
PG_FUNCTION_INFO_V1(clv_trans);
Datum
clv_trans(PG_FUNCTION_ARGS)
{
	ClvState   *state = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	Datum		amount;
	TimestampTz at;

	if (state == NULL)
		state = clv_state_new(agg_context_or_error(fcinfo));

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(state);

	amount = PG_GETARG_DATUM(2);
	at = PG_GETARG_TIMESTAMPTZ(3);
	check_finite_numeric(amount, "amount");
	check_finite_timestamp(at, "purchased_at");

	/* the executor never adds rows to a combined state */
	if (unlikely(state->nruns > 0))
		elog(ERROR, "clv transition called on a combined state");
	clv_table_add(state, PG_GETARG_INT64(1), at);
	exact_sum_add(fcinfo, &state->amounts, amount);
	state->purchases++;
	PG_RETURN_POINTER(state);
}

/* Set up a combine function's new first state. */
static void
clv_state_init(void *state, MemoryContext aggcontext)
{
	((ClvState *) state)->mcxt = aggcontext;
}

/*
 * Combine: the second state's customers join the first's as a sorted run
 * (copied into the aggregate context), and the amount sums add up.
 */
PG_FUNCTION_INFO_V1(clv_combine);
Datum
clv_combine(PG_FUNCTION_ARGS)
{
	ClvState   *s1;
	ClvState   *s2;

	if (!combine_open(fcinfo, sizeof(ClvState), clv_state_init, (void **) &s1, (void **) &s2))
		return combine_passthrough(fcinfo);
	clv_state_to_runs(s1);

	/* s2's customers, as runs copied into s1's context */
	if (s2->slots != NULL && s2->members > 0)
		clv_push_run(s1, clv_table_run(s2, s1->mcxt));
	for (int r = 0; r < s2->nruns; r++)
	{
		ClvRun		copy;

		if (s2->runs[r].n == 0)
			continue;
		copy.n = s2->runs[r].n;
		copy.customers = clv_alloc(s1->mcxt, copy.n);
		memcpy(copy.customers, s2->runs[r].customers, copy.n * sizeof(ClvCustomer));
		clv_push_run(s1, copy);
	}

	exact_sum_combine(fcinfo, &s1->amounts, &s2->amounts);
	s1->purchases += s2->purchases;
	PG_RETURN_POINTER(s1);
}

/*
 * Calls fn on every distinct customer of a state, in any of its forms,
 * without changing it: the hash table slot by slot, or the runs merged on
 * the fly (a customer in several runs is met once, with its purchases added
 * up and its first and last purchase the extremes).
 */
typedef void (*ClvVisitor) (const ClvCustomer *c, void *arg);

static void
clv_visit(ClvState *state, ClvVisitor fn, void *arg)
{
	uint32		pos[CLV_MAX_RUNS];
	uint64		seen = 0;

	for (uint32 i = 0; i < state->nslots; i++)
	{
		if (state->slots[i].purchases != 0)
			fn(&state->slots[i], arg);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (state->nruns == 1)
	{
		for (uint32 i = 0; i < state->runs[0].n; i++)
		{
			fn(&state->runs[0].customers[i], arg);
			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
		}
		return;
	}
	memset(pos, 0, sizeof(pos));
	for (;;)
	{
		ClvCustomer c;
		bool		any = false;

		for (int r = 0; r < state->nruns; r++)
			if (pos[r] < state->runs[r].n &&
				(!any || state->runs[r].customers[pos[r]].customer_id < c.customer_id))
			{
				c.customer_id = state->runs[r].customers[pos[r]].customer_id;
				any = true;
			}
		if (!any)
			break;
		c.purchases = 0;
		for (int r = 0; r < state->nruns; r++)
		{
			const ClvCustomer *x;

			if (pos[r] >= state->runs[r].n ||
				(x = &state->runs[r].customers[pos[r]])->customer_id != c.customer_id)
				continue;
			if (c.purchases == 0 || x->first_at < c.first_at)
				c.first_at = x->first_at;
			if (c.purchases == 0 || x->last_at > c.last_at)
				c.last_at = x->last_at;
			c.purchases += x->purchases;
			pos[r]++;
		}
		fn(&c, arg);
		if ((++seen & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Writes customers, in id order, into a growing buffer.  Each customer needs
 * at most CLV_MAX_CUSTOMER_BYTES; the buffer doubles when less is left, and
 * the state may not reach the 1 GB a value can hold.
 */
#define CLV_MAX_CUSTOMER_BYTES	(4 * VARINT_MAX_BYTES)

typedef struct ClvWriter
{
	StringInfo	buf;
	int64		prev_id;
	int64		prev_first;
	uint32		n;
} ClvWriter;

static void
clv_write_one(const ClvCustomer *c, void *arg)
{
	ClvWriter  *w = (ClvWriter *) arg;
	StringInfo	buf = w->buf;
	char	   *p;

	if (unlikely(buf->maxlen - buf->len <= CLV_MAX_CUSTOMER_BYTES))
	{
		if ((Size) buf->len >= MaxAllocSize - 1024 - CLV_MAX_CUSTOMER_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("clv() state is too large to pass between processes"),
					 errdetail("The state of one group reached %d bytes after %u customers.",
							   buf->len, w->n),
					 errhint("Compute CLV over smaller groups, or disable parallel query for this query.")));
		enlargeStringInfo(buf, Min((Size) buf->len, MaxAllocSize - 1024 - (Size) buf->len));
	}
	p = buf->data + buf->len;
	p = put_varint(p, zigzag((int64) ((uint64) c->customer_id - (uint64) w->prev_id)));
	p = put_varint(p, zigzag((int64) ((uint64) c->first_at - (uint64) w->prev_first)));
	p = put_varint(p, (uint64) c->last_at - (uint64) c->first_at);
	p = put_varint(p, (uint64) (c->purchases - 1));
	buf->len = p - buf->data;
	w->prev_id = c->customer_id;
	w->prev_first = c->first_at;
	w->n++;
}

/*
 * Serialize (codec.c's format): purchase count, customer count, the
 * customers sorted by id (each as four varints: the id's difference from the
 * previous one, the first purchase's difference from the previous one, last
 * minus first purchase, purchases minus 1), then the amount sum.  A hash
 * table is sorted into a temporary run; runs are merged on the fly by
 * clv_visit().
 */
PG_FUNCTION_INFO_V1(clv_serialize);
Datum
clv_serialize(PG_FUNCTION_ARGS)
{
	ClvState   *state;
	StringInfoData buf;
	ClvWriter	w = {&buf, 0, 0, 0};
	int			count_at;
	uint32		count;

	agg_context_or_error(fcinfo);
	state = (ClvState *) PG_GETARG_POINTER(0);

	state_write_begin(&buf, STATE_CLV);
	state_put_int64(&buf, state->purchases);
	count_at = buf.len;
	state_put_int32(&buf, 0);	/* the customer count, filled in below */
	if (state->nruns == 0)
	{
		ClvRun		sorted = clv_table_run(state, CurrentMemoryContext);

		for (uint32 i = 0; i < sorted.n; i++)
		{
			clv_write_one(&sorted.customers[i], &w);
			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(sorted.customers);
	}
	else
		clv_visit(state, clv_write_one, &w);
	count = pg_hton32(w.n);
	memcpy(buf.data + count_at, &count, sizeof(count));

	exact_sum_write(&buf, &state->amounts);
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

/* Deserialize into a state of one sorted run, in the current context. */
PG_FUNCTION_INFO_V1(clv_deserialize);
Datum
clv_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	ClvState   *state;
	ClvRun		run;
	int64		prev_id = 0;
	int64		prev_first = 0;
	uint64		purchases = 0;

	deserialize_call_check(fcinfo);
	state_read_begin(&r, PG_GETARG_BYTEA_PP(0), STATE_CLV);

	state = clv_state_new(CurrentMemoryContext);
	state->purchases = state_get_int64(&r);
	run.n = (uint32) state_get_int32(&r);
	/* every customer takes at least 4 bytes */
	if ((Size) run.n > (Size) (r.end - r.p) / 4)
		report_invalid_state(STATE_CLV, "The state lists more customers than it has bytes for.");
	run.customers = clv_alloc(CurrentMemoryContext, run.n);
	for (uint32 i = 0; i < run.n; i++)
	{
		ClvCustomer *c = &run.customers[i];
		uint64		span;
		uint64		more;

		c->customer_id = (int64) ((uint64) prev_id + (uint64) unzigzag(get_varint(&r)));
		c->first_at = (int64) ((uint64) prev_first + (uint64) unzigzag(get_varint(&r)));
		span = get_varint(&r);
		more = get_varint(&r);
		if ((i > 0 && c->customer_id <= prev_id) ||
			TIMESTAMP_NOT_FINITE(c->first_at) ||
			span >= (uint64) PG_INT64_MAX - (uint64) c->first_at ||
			more >= (uint64) PG_INT64_MAX - purchases)
			report_invalid_state(STATE_CLV, "The customers are out of order or out of range.");
		c->last_at = (int64) ((uint64) c->first_at + span);
		c->purchases = (int64) more + 1;
		purchases += c->purchases;
		prev_id = c->customer_id;
		prev_first = c->first_at;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (run.n > 0)
	{
		clv_state_make_runs(state);
		state->runs[state->nruns++] = run;
	}
	exact_sum_read(&r, &state->amounts);
	state_read_end(&r);
	if ((uint64) state->purchases != purchases ||
		(purchases > 0) != (state->amounts.value != 0))
		report_invalid_state(STATE_CLV, "The purchase count does not match the customers.");

	PG_RETURN_POINTER(state);
}

/*
 * Add one customer to the sums: exact integers, so the result does not
 * depend on the order in which customers are met.  A term is at most
 * purchases_c (a tenure is at least a year), so the fixed-point sum is below
 * 2^(63 + CLV_FRAC_BITS) for any group whose purchase count fits in 64 bits;
 * a tenure is below 2^64 microseconds, so their sum fits in 128 bits for up
 * to 2^63 customers.
 */
void
clv_sums_add(ClvSums *sums, TimestampTz first_at, TimestampTz last_at, uint64 purchases)
{
	uint64		tenure = (uint64) last_at - (uint64) first_at;	/* exact */
	uint128		scaled;
	uint128		q;
	uint128		r;

	if (tenure < (uint64) USECS_PER_YEAR)
		tenure = USECS_PER_YEAR;
	sums->customers++;
	sums->tenure_usecs += tenure;

	/*
	 * purchases * year / tenure in fixed point, rounded half up: the integer
	 * part q, then the fraction r / tenure scaled by 2^CLV_FRAC_BITS
	 * (r < tenure < 2^64, so r << 60 fits in 128 bits).
	 */
	scaled = (uint128) purchases * (uint64) USECS_PER_YEAR;
	q = scaled / tenure;
	r = scaled % tenure;
	sums->freq_fixed += (q << CLV_FRAC_BITS) +
		(((r << CLV_FRAC_BITS) + tenure / 2) / tenure);
}

static void
clv_sum_one(const ClvCustomer *c, void *arg)
{
	clv_sums_add((ClvSums *) arg, c->first_at, c->last_at, (uint64) c->purchases);
}

/*
 * The quotient below in long double arithmetic, where that settles its
 * rounding; false leaves it to the exact numeric arithmetic.
 *
 * The amounts' sum is read as an integer of at most 64 bits and its decimal
 * scale.  With a 64-bit significand (x86-64's long double, or wider) the
 * quotient, scaled by 10^8, comes out of at most nine roundings, each off
 * by at most 2^-64 of its value; below 2^56 it is thus within 2^56 * 10 *
 * 2^-64 < 0.04 of the exact one.  When its fraction is more than 1/16 away
 * from one half, rounding it half away from zero gives the exact rounding's
 * integer.  Otherwise (a tie, or nearly), or for larger sums, the exact
 * path decides.  The result is built from its digits, so it is the same
 * numeric, display scale included, as numeric_div_round() returns.
 */
static bool
clv_result_fast(const ClvSums *sums, Datum total_amount, int64 purchases, Datum *result)
{
#if LDBL_MANT_DIG >= 64
	char	   *digits = numeric_text(total_amount);
	const char *p = digits;
	bool		negative = false;
	uint64		amount = 0;
	int			scale = -1;		/* digits after the point, once one is met */
	long double num;
	long double den;
	long double q;
	long double whole;
	long double frac;
	uint64		qi;
	int			out_scale = 8;
	uint64		pow10 = 1;
	char		buf[64];

	if (*p == '-')
	{
		negative = true;
		p++;
	}
	for (; *p != '\0'; p++)
	{
		if (*p == '.' && scale < 0)
		{
			scale = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || amount > (PG_UINT64_MAX - 9) / 10)
			return false;
		amount = amount * 10 + (uint64) (*p - '0');
		if (scale >= 0)
			scale++;
	}
	if (scale < 0)
		scale = 0;
	if (scale > 18)
		return false;

	/* amount * 10^(8 - scale) * freq_fixed * tenure_usecs / (the rest) */
	num = (long double) amount * (long double) sums->freq_fixed;
	num *= (long double) sums->tenure_usecs;
	den = ldexpl((long double) purchases, CLV_FRAC_BITS);
	den *= (long double) sums->customers * (long double) sums->customers;
	den *= (long double) USECS_PER_YEAR;
	for (int i = 0; i < abs(8 - scale); i++)
		pow10 *= 10;
	if (scale <= 8)
		num *= (long double) pow10;
	else
		den *= (long double) pow10;
	q = num / den;
	if (!(q < ldexpl(1.0L, 56)))
		return false;
	whole = floorl(q);
	frac = q - whole;
	if (fabsl(frac - 0.5L) <= 0.0625L)
		return false;
	qi = (uint64) whole + (frac > 0.5L ? 1 : 0);

	/* qi * 10^-8, trailing zeros dropped */
	while (out_scale > 0 && qi % 10 == 0)
	{
		qi /= 10;
		out_scale--;
	}
	pow10 = 1;
	for (int i = 0; i < out_scale; i++)
		pow10 *= 10;
	if (out_scale == 0)
		snprintf(buf, sizeof(buf), "%s" UINT64_FORMAT, negative && qi != 0 ? "-" : "", qi);
	else
		snprintf(buf, sizeof(buf), "%s" UINT64_FORMAT ".%0*" INT64_MODIFIER "u",
				 negative ? "-" : "", qi / pow10, out_scale, qi % pow10);
	*result = DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
								  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	return true;
#else
	return false;
#endif
}

/*
 * V * F * L (see the file header) as one fraction of exact sums,
 *
 *	   amounts * freq_fixed * tenure_usecs
 *	 / (purchases * 2^60 * customers^2 * usecs_per_year)
 *
 * rounded once to 8 decimal places.
 */
Datum
clv_sums_result(const ClvSums *sums, Datum total_amount, int64 purchases)
{
	Datum		customers;
	Datum		num;
	Datum		den;
	Datum		fast;

	if (clv_result_fast(sums, total_amount, purchases, &fast))
		return fast;
	customers = int64_to_numeric_datum((int64) sums->customers);
	num = DirectFunctionCall2(numeric_mul, total_amount, int128_to_numeric_datum((int128) sums->freq_fixed));
	num = DirectFunctionCall2(numeric_mul, num, int128_to_numeric_datum((int128) sums->tenure_usecs));
	den = DirectFunctionCall2(numeric_mul, int64_to_numeric_datum(purchases),
							  int128_to_numeric_datum((int128) 1 << CLV_FRAC_BITS));
	den = DirectFunctionCall2(numeric_mul, den, DirectFunctionCall2(numeric_mul, customers, customers));
	den = DirectFunctionCall2(numeric_mul, den, int64_to_numeric_datum(USECS_PER_YEAR));
	return numeric_div_round(num, den, 8);
}

/* Final: V * F * L; NULL without a counted purchase. */
PG_FUNCTION_INFO_V1(clv_final);
Datum
clv_final(PG_FUNCTION_ARGS)
{
	ClvState   *state = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvSums		sums = {0, 0, 0};
	Datum		total;

	if (state == NULL || state->purchases == 0)
		PG_RETURN_NULL();
	total = exact_sum_total(&state->amounts);
	if (total == 0)
		PG_RETURN_NULL();
	clv_visit(state, clv_sum_one, &sums);
	PG_RETURN_DATUM(clv_sums_result(&sums, total, state->purchases));
}

/*
 * clv(avg_purchase_value, purchases_per_year, lifespan_years) -> numeric:
 * the plain product V * F * L.
 */
PG_FUNCTION_INFO_V1(clv_scalar);
Datum
clv_scalar(PG_FUNCTION_ARGS)
{
	Datum		v = PG_GETARG_DATUM(0);
	Datum		f = PG_GETARG_DATUM(1);
	Datum		l = PG_GETARG_DATUM(2);

	check_finite_numeric(v, "avg_purchase_value");
	check_finite_numeric(f, "purchases_per_year");
	check_finite_numeric(l, "lifespan_years");
	if (numeric_sign_internal(f) < 0 || numeric_sign_internal(l) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchases_per_year and lifespan_years must not be negative"),
				 errdetail("purchases_per_year is %s and lifespan_years is %s.",
						   numeric_text(f), numeric_text(l)),
				 errhint("Pass the mean number of purchases per customer per year and the mean customer lifespan in years.")));

	PG_RETURN_DATUM(DirectFunctionCall2(numeric_mul,
										DirectFunctionCall2(numeric_mul, v, f), l));
}

