/*-------------------------------------------------------------------------
 *
 * bgnbd.c
 *	  The BG/NBD model of repeat purchasing (Fader, Hardie & Lee, "Counting
 *	  your customers the easy way", Marketing Science 24(2), 2005) and the
 *	  Gamma-Gamma model of spend (Fader, Hardie & Lee, "RFM and CLV", 2005):
 *	  the closed forms the SQL functions of bgnbd.sql call, given the
 *	  models' parameters.
 *
 *	  A customer is (x, t_x, T): x repeat purchases, the last at t_x, observed
 *	  for T, in one time unit.  BG/NBD parameters r, alpha (purchase rates
 *	  ~ Gamma(r, alpha)) and a, b (drop-out probabilities ~ Beta(a, b));
 *	  Gamma-Gamma parameters p, q, v.
 *
 *	  All in double precision: the models are estimates, not accounts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "sales_kpi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"

/* ------------------------------------------------------------------------
 * Checks.
 * ------------------------------------------------------------------------
 */

static void
check_parameter(double v, const char *name, const char *model)
{
	if (isnan(v) || isinf(v) || v <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s parameter %s must be a positive finite number", model, name),
				 errdetail("%s is %g.", name, v),
				 errhint("Build the parameters with a fit (bgnbd_fit, gamma_gamma_fit) or from positive values.")));
}

static void
check_bgnbd(double r, double alpha, double a, double b)
{
	check_parameter(r, "r", "BG/NBD");
	check_parameter(alpha, "alpha", "BG/NBD");
	check_parameter(a, "a", "BG/NBD");
	check_parameter(b, "b", "BG/NBD");
}

static void
check_horizon(double t)
{
	if (isnan(t) || isinf(t) || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must be a finite number of time units, not negative"),
				 errdetail("t is %g.", t),
				 errhint("Pass the horizon in the unit the model was fitted in, e.g. 52 for a year in weeks.")));
}

/*
 * A customer (x, t_x, T): x >= 0 repeat purchases, 0 <= t_x <= T, T > 0,
 * t_x = 0 when x = 0.
 */
void
bgnbd_check_customer(double x, double tx, double T)
{
	const char *problem = NULL;

	if (isnan(x) || isinf(x) || isnan(tx) || isinf(tx) || isnan(T) || isinf(T))
		problem = "frequency, recency and age must be finite numbers";
	else if (x < 0)
		problem = "frequency must not be negative";
	else if (T <= 0)
		problem = "age must be positive";
	else if (tx < 0)
		problem = "recency must not be negative";
	else if (tx > T)
		problem = "recency must not exceed age";
	else if (x == 0 && tx != 0)
		problem = "a customer without repeat purchases has recency 0";
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", problem),
				 errdetail("frequency is %g, recency %g, age %g.", x, tx, T),
				 errhint("Compute them with customer_rfm(): frequency counts repeat purchase periods, recency is the last repeat's age at the first, age the time since the first purchase.")));
}

/* ------------------------------------------------------------------------
 * Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, by its
 * series, summed until a term no longer changes the sum (interruptible).
 * ------------------------------------------------------------------------
 */
static double
hyp2f1(double a, double b, double c, double z)
{
	double		term = 1.0;
	double		sum = 1.0;

	for (int k = 0; k < 10000000; k++)
	{
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		if (fabs(term) <= 1e-16 * fabs(sum))
			return sum;
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("the hypergeometric series did not converge"),
			 errdetail("2F1(%g, %g; %g; %g) after 10,000,000 terms.", a, b, c, z),
			 errhint("The horizon is too long for the model's time unit: use a coarser unit.")));
	return 0;					/* not reached */
}

/*
 * log 2F1(a, b; c; z), by Euler's transformation when the series itself
 * overflows: 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z).
 */
static double
log_hyp2f1(double a, double b, double c, double z)
{
	double		v = hyp2f1(a, b, c, z);

	if (isinf(v) || v <= 0)
		return log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * log1p(-z);
	return log(v);
}

/* ------------------------------------------------------------------------
 * BG/NBD.
 * ------------------------------------------------------------------------
 */

/* E[X(t)], purchases of a new customer in t. */
static double
bgnbd_expected_new(double r, double alpha, double a, double b, double t)
{
	double		z = t / (alpha + t);

	return (a + b - 1) / (a - 1)
		* (1 - exp(r * log(alpha / (alpha + t)) + log_hyp2f1(r, b, a + b - 1, z)));
}

/* The odds of a customer having dropped out, given (x, t_x, T); 0 when x = 0. */
static double
bgnbd_dropout_odds(double r, double alpha, double a, double b, double x, double tx, double T)
{
	if (x <= 0)
		return 0;
	return a / (b + x - 1) * exp((r + x) * log((alpha + T) / (alpha + tx)));
}

/* E[X(t) | x, t_x, T]. */
static double
bgnbd_expected_conditional(double r, double alpha, double a, double b, double t,
						   double x, double tx, double T)
{
	double		z = t / (alpha + T + t);
	double		numerator;

	numerator = (a + b + x - 1) / (a - 1)
		* (1 - exp(log_hyp2f1(r + x, b + x, a + b + x - 1, z)
				   + (r + x) * log((alpha + T) / (alpha + t + T))));
	return numerator / (1 + bgnbd_dropout_odds(r, alpha, a, b, x, tx, T));
}

static void
check_a_not_one(double a)
{
	if (a == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the expected purchases are not defined at a = 1"),
				 errdetail("The formula divides by a - 1."),
				 errhint("Fit the model again; a fitted a is never exactly 1.")));
}

PG_FUNCTION_INFO_V1(bgnbd_expected_purchases_new);
Datum
bgnbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		r = PG_GETARG_FLOAT8(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double		a = PG_GETARG_FLOAT8(2);
	double		b = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);

	check_bgnbd(r, alpha, a, b);
	check_horizon(t);
	check_a_not_one(a);
	PG_RETURN_FLOAT8(bgnbd_expected_new(r, alpha, a, b, t));
}

PG_FUNCTION_INFO_V1(bgnbd_expected_purchases_customer);
Datum
bgnbd_expected_purchases_customer(PG_FUNCTION_ARGS)
{
	double		r = PG_GETARG_FLOAT8(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double		a = PG_GETARG_FLOAT8(2);
	double		b = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);
	double		x = PG_GETARG_FLOAT8(5);
	double		tx = PG_GETARG_FLOAT8(6);
	double		T = PG_GETARG_FLOAT8(7);

	check_bgnbd(r, alpha, a, b);
	check_horizon(t);
	bgnbd_check_customer(x, tx, T);
	check_a_not_one(a);
	PG_RETURN_FLOAT8(bgnbd_expected_conditional(r, alpha, a, b, t, x, tx, T));
}

/* P(X(t) = n) for a new customer. */
PG_FUNCTION_INFO_V1(bgnbd_probability);
Datum
bgnbd_probability(PG_FUNCTION_ARGS)
{
	double		r = PG_GETARG_FLOAT8(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double		a = PG_GETARG_FLOAT8(2);
	double		b = PG_GETARG_FLOAT8(3);
	double		t = PG_GETARG_FLOAT8(4);
	int32		n = PG_GETARG_INT32(5);
	double		log_beta_ab;
	double		first;
	double		second = 0;

	check_bgnbd(r, alpha, a, b);
	check_horizon(t);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative"),
				 errdetail("n is %d.", n),
				 errhint("Ask for the probability of 0, 1, 2, ... purchases.")));
	log_beta_ab = lgamma(a) + lgamma(b) - lgamma(a + b);
	/* B(a, b + n) / B(a, b) Γ(r + n) / (Γ(r) n!) (α/(α+t))^r (t/(α+t))^n */
	first = lgamma(a) + lgamma(b + n) - lgamma(a + b + n) - log_beta_ab
		+ lgamma(r + n) - lgamma(r) - lgamma(n + 1.0)
		+ r * log(alpha / (alpha + t));
	first = (n == 0) ? exp(first) : (t == 0 ? 0 : exp(first + n * log(t / (alpha + t))));
	if (n > 0)
	{
		double		sum = 0;

		/* 1 - (α/(α+t))^r Σ_{j<n} Γ(r + j) / (Γ(r) j!) (t/(α+t))^j */
		for (int j = 0; j < n; j++)
		{
			double		lt = lgamma(r + j) - lgamma(r) - lgamma(j + 1.0);

			if (j > 0)
				lt += (t == 0) ? -INFINITY : j * log(t / (alpha + t));
			sum += exp(lt + r * log(alpha / (alpha + t)));
			if ((j & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		second = exp(lgamma(a + 1) + lgamma(b + n - 1) - lgamma(a + b + n) - log_beta_ab) * (1 - sum);
	}
	PG_RETURN_FLOAT8(first + second);
}

/* P(alive | x, t_x, T). */
PG_FUNCTION_INFO_V1(bgnbd_p_alive);
Datum
bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		r = PG_GETARG_FLOAT8(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double		a = PG_GETARG_FLOAT8(2);
	double		b = PG_GETARG_FLOAT8(3);
	double		x = PG_GETARG_FLOAT8(4);
	double		tx = PG_GETARG_FLOAT8(5);
	double		T = PG_GETARG_FLOAT8(6);

	check_bgnbd(r, alpha, a, b);
	bgnbd_check_customer(x, tx, T);
	PG_RETURN_FLOAT8(1 / (1 + bgnbd_dropout_odds(r, alpha, a, b, x, tx, T)));
}

/* ------------------------------------------------------------------------
 * Gamma-Gamma.
 * ------------------------------------------------------------------------
 */

/*
 * E[spend | x, mean spend m]: the weighted mean of the population mean
 * v p / (q - 1) and the customer's own m, the customer's weight
 * p x / (p x + q - 1).
 */
PG_FUNCTION_INFO_V1(gamma_gamma_spend);
Datum
gamma_gamma_spend(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);
	double		q = PG_GETARG_FLOAT8(1);
	double		v = PG_GETARG_FLOAT8(2);
	double		x = PG_GETARG_FLOAT8(3);
	double		m = PG_GETARG_FLOAT8(4);
	double		weight;

	check_parameter(p, "p", "Gamma-Gamma");
	check_parameter(q, "q", "Gamma-Gamma");
	check_parameter(v, "v", "Gamma-Gamma");
	if (q <= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the expected spend is not defined for q <= 1"),
				 errdetail("q is %g: the population's mean spend v p / (q - 1) is infinite.", q),
				 errhint("Fit the model on more repeat buyers.")));
	if (isnan(x) || isinf(x) || x < 0 || isnan(m) || isinf(m) || m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency and mean spend must be finite and not negative"),
				 errdetail("frequency is %g, mean spend %g.", x, m),
				 errhint("Compute them with customer_rfm().")));
	weight = p * x / (p * x + q - 1);
	PG_RETURN_FLOAT8((1 - weight) * v * p / (q - 1) + weight * m);
}

/* ------------------------------------------------------------------------
 * Predicted CLV, as lifetimes' customer_lifetime_value computes it: over
 * steps i = 1 .. horizon of period time units each, the purchases expected
 * in the step times the expected spend, discounted by (1 + rate)^i.
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(bgnbd_predicted_clv);
Datum
bgnbd_predicted_clv(PG_FUNCTION_ARGS)
{
	double		r = PG_GETARG_FLOAT8(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double		a = PG_GETARG_FLOAT8(2);
	double		b = PG_GETARG_FLOAT8(3);
	double		spend = PG_GETARG_FLOAT8(4);
	double		x = PG_GETARG_FLOAT8(5);
	double		tx = PG_GETARG_FLOAT8(6);
	double		T = PG_GETARG_FLOAT8(7);
	double		horizon = PG_GETARG_FLOAT8(8);
	double		rate = PG_GETARG_FLOAT8(9);
	double		period = PG_GETARG_FLOAT8(10);
	double		value = 0;
	double		before = 0;

	check_bgnbd(r, alpha, a, b);
	bgnbd_check_customer(x, tx, T);
	check_a_not_one(a);
	if (isnan(horizon) || isinf(horizon) || horizon < 0 || horizon > 100000 ||
		isnan(rate) || isinf(rate) || rate <= -1 ||
		isnan(period) || isinf(period) || period <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon, discount rate and period must be finite, horizon from 0 to 100000 steps, rate above -1, period positive"),
				 errdetail("horizon is %g, discount rate %g, period %g.", horizon, rate, period),
				 errhint("As lifetimes: predicted_clv(..., 12, 0.01, 30) is 12 months at 1%% a month, a month being 30 of the model's days.")));
	for (int i = 1; i <= (int) floor(horizon); i++)
	{
		double		upto = bgnbd_expected_conditional(r, alpha, a, b, i * period, x, tx, T);

		value += (upto - before) * spend / pow(1 + rate, i);
		before = upto;
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_FLOAT8(value);
}
