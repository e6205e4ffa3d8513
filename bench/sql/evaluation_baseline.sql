-- The live evaluation of one programme (scope "city", the default) as hand-written aggregate
-- SQL: every figure that app/evaluation/metrics.py (compute) and app/evaluation/analysis.py
-- (build) read from the database, the way one would write it by hand for PostgreSQL.
-- The baseline of the "live evaluation" benchmark: bench/run.py runs these statements in order
-- on one connection, fetching every row, and compares the median with the API's.
--
-- Parameters (psycopg named placeholders): program_code, program_id, cohort_year, payment_deadline.
-- Each statement starts with a "-- @name" line.

-- @program: the programme, its indicator table, the evaluators' assessments, districts
SELECT * FROM program WHERE code = %(program_code)s;

-- @indicators
SELECT * FROM indicator WHERE program_id = %(program_id)s ORDER BY position;

-- @assessments
SELECT * FROM indicator_assessment WHERE program_id = %(program_id)s;

-- @program_districts
SELECT district_code FROM program_district WHERE program_id = %(program_id)s;

-- @district_names
SELECT code, name FROM district ORDER BY code;

-- @funds_arrival: money arrived for the city fund (funds_arrival_rate, budget_execution_rate)
SELECT COALESCE(SUM(arrived_amount_fen), 0) FROM appropriation
WHERE program_id = %(program_id)s AND level = 'city';

-- @payments: spent, paid count, on time, and the five compliance checks of every paid city payment
WITH paid AS (
    SELECT p.id, p.application_id, p.level, p.amount_fen, p.voucher_no, p.paid_on, a.district_code
    FROM payment p JOIN application a ON a.id = p.application_id
    WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city'
), first_approval AS (  -- an appropriation approved on or before the payment: the earliest one decides
    SELECT level, CASE WHEN level = 'city' THEN '' ELSE district_code END AS district_code,
           min(approved_on) AS approved_on
    FROM appropriation WHERE program_id = %(program_id)s
    GROUP BY 1, 2
), checked AS MATERIALIZED (
    SELECT paid.amount_fen, paid.paid_on,
           EXISTS (SELECT 1 FROM notice_entry ne WHERE ne.application_id = paid.application_id
                   AND ne.outcome = 'approved') AS passed_notice,
           paid.amount_fen IN (SELECT t.amount_fen FROM award_tranche t WHERE t.program_id = %(program_id)s
                               AND t.level = 'city') AS right_amount,
           length(trim(paid.voucher_no)) > 0 AS has_voucher,
           EXISTS (SELECT 1 FROM document d WHERE d.payment_id = paid.id AND d.kind = 'bank_receipt') AS has_receipt,
           COALESCE(f.approved_on <= paid.paid_on, false) AS after_appropriation
    FROM paid LEFT JOIN first_approval f ON f.level = paid.level AND f.district_code = ''
)
SELECT count(*), COALESCE(sum(amount_fen), 0),
       count(*) FILTER (WHERE paid_on <= %(payment_deadline)s),
       count(*) FILTER (WHERE NOT (passed_notice AND right_amount AND has_voucher AND has_receipt AND after_appropriation)),
       count(*) FILTER (WHERE NOT passed_notice), count(*) FILTER (WHERE NOT right_amount),
       count(*) FILTER (WHERE NOT has_voucher), count(*) FILTER (WHERE NOT has_receipt),
       count(*) FILTER (WHERE NOT after_appropriation)
FROM checked;

-- @revenue: awarded enterprises (paid city payment), their revenue from the cohort year's
-- roster or else the declaration: count, total, from roster, min, max, median, bands
WITH awarded AS (
    SELECT DISTINCT a.id, a.enterprise_id, a.declared_revenue_fen
    FROM application a JOIN payment p ON p.application_id = a.id
    WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city'
), rev AS (
    SELECT w.enterprise_id, COALESCE(r.main_revenue_fen, w.declared_revenue_fen) AS revenue, r.id AS roster_id
    FROM awarded w JOIN enterprise e ON e.id = w.enterprise_id
    LEFT JOIN roster_entry r ON r.uscc = e.uscc AND r.year = %(cohort_year)s
)
SELECT count(*), COALESCE(sum(revenue), 0), count(roster_id), min(revenue), max(revenue),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY revenue),
       count(*) FILTER (WHERE revenue < 2000000000),
       count(*) FILTER (WHERE revenue >= 2000000000 AND revenue < 5000000000),
       count(*) FILTER (WHERE revenue >= 5000000000 AND revenue < 10000000000),
       count(*) FILTER (WHERE revenue >= 10000000000 AND revenue < 50000000000),
       count(*) FILTER (WHERE revenue >= 50000000000 AND revenue < 100000000000),
       count(*) FILTER (WHERE revenue >= 100000000000)
FROM rev;

-- @top_two: the two largest awarded enterprises by revenue
SELECT e.name, COALESCE(r.main_revenue_fen, a.declared_revenue_fen) AS revenue
FROM application a JOIN enterprise e ON e.id = a.enterprise_id
LEFT JOIN roster_entry r ON r.uscc = e.uscc AND r.year = %(cohort_year)s
WHERE a.program_id = %(program_id)s
  AND EXISTS (SELECT 1 FROM payment p WHERE p.application_id = a.id AND p.status = 'paid' AND p.level = 'city')
ORDER BY revenue DESC, e.id
LIMIT 2;

-- @growth: the programme's districts' roster, cohort year against the year before
SELECT year, count(*) FROM roster_entry
WHERE year IN (%(cohort_year)s, %(cohort_year)s - 1)
  AND district_code IN (SELECT district_code FROM program_district WHERE program_id = %(program_id)s)
GROUP BY year;

-- @satisfaction: each awarded enterprise's latest questionnaire (no later one of the same enterprise)
WITH awarded AS (
    SELECT DISTINCT a.enterprise_id FROM application a JOIN payment p ON p.application_id = a.id
    WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city'
), responses AS (
    SELECT s.id, s.enterprise_id, s.collected_on, s.overall FROM survey_response s
    WHERE s.program_id = %(program_id)s AND s.enterprise_id IN (SELECT enterprise_id FROM awarded)
), latest AS (
    SELECT r.overall FROM responses r
    WHERE NOT EXISTS (SELECT 1 FROM responses later WHERE later.enterprise_id = r.enterprise_id
                      AND (later.collected_on, later.id) > (r.collected_on, r.id))
)
SELECT count(*), count(*) FILTER (WHERE overall IN ('very_satisfied', 'satisfied')),
       (SELECT count(*) FROM awarded)
FROM latest;

-- @districts: awarded enterprises, amount and payments per district
SELECT a.district_code, count(DISTINCT a.enterprise_id), sum(p.amount_fen), count(*)
FROM application a JOIN payment p ON p.application_id = a.id
WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city'
GROUP BY a.district_code ORDER BY a.district_code;

-- @approval_to_payment: days from the end of the approving notice to payment
WITH paid AS (
    SELECT p.application_id, p.paid_on FROM payment p JOIN application a ON a.id = p.application_id
    WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city'
), approved AS (
    SELECT ne.application_id, max(n.ends_on) AS ends_on
    FROM notice_entry ne JOIN notice n ON n.id = ne.notice_id
    WHERE n.program_id = %(program_id)s AND ne.outcome = 'approved'
    GROUP BY ne.application_id
)
SELECT count(x.ends_on), min(paid_on - x.ends_on), avg(paid_on - x.ends_on), max(paid_on - x.ends_on)
FROM paid LEFT JOIN approved x USING (application_id);

-- @timeline: payments per day
SELECT p.paid_on, count(*), sum(p.amount_fen)
FROM payment p JOIN application a ON a.id = p.application_id
WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city'
GROUP BY p.paid_on ORDER BY p.paid_on;

-- @review_turnaround: days from submission to the later district decision, and from it to the later city one
-- (a stage counts when both departments decided at it)
WITH decided AS (
    SELECT rd.application_id,
           max(rd.decided_at) FILTER (WHERE rd.stage = 'district') AS district_done,
           max(rd.decided_at) FILTER (WHERE rd.stage = 'city') AS city_done,
           bool_or(rd.stage = 'district' AND rd.department = 'industry')
             AND bool_or(rd.stage = 'district' AND rd.department = 'stats') AS district_complete,
           bool_or(rd.stage = 'city' AND rd.department = 'industry')
             AND bool_or(rd.stage = 'city' AND rd.department = 'stats') AS city_complete
    FROM review_decision rd JOIN application a ON a.id = rd.application_id
    WHERE a.program_id = %(program_id)s
    GROUP BY rd.application_id
)
SELECT count(*) FILTER (WHERE district_complete),
       avg(extract(epoch FROM district_done - a.created_at) / 86400) FILTER (WHERE district_complete),
       max(extract(epoch FROM district_done - a.created_at) / 86400) FILTER (WHERE district_complete),
       count(*) FILTER (WHERE city_complete),
       avg(extract(epoch FROM city_done - district_done) / 86400) FILTER (WHERE city_complete),
       max(extract(epoch FROM city_done - district_done) / 86400) FILTER (WHERE city_complete)
FROM decided JOIN application a ON a.id = decided.application_id;

-- @survey_response_rate: awarded enterprises that answered
SELECT count(DISTINCT s.enterprise_id) FROM survey_response s
WHERE s.program_id = %(program_id)s
  AND s.enterprise_id IN (SELECT a.enterprise_id FROM application a JOIN payment p ON p.application_id = a.id
                          WHERE a.program_id = %(program_id)s AND p.status = 'paid' AND p.level = 'city');

-- @retention: awarded enterprises (any level) still on each later roster year, per district;
-- districts that have not imported a year are pending
WITH awarded AS (
    SELECT e.uscc, a.district_code
    FROM application a JOIN enterprise e ON e.id = a.enterprise_id
    WHERE a.program_id = %(program_id)s AND a.live_enterprise_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM payment p WHERE p.application_id = a.id AND p.status = 'paid')
), imported AS (
    SELECT DISTINCT year, district_code FROM roster_entry WHERE year > %(cohort_year)s
), per_district AS (
    SELECT district_code, count(*) AS awarded FROM awarded GROUP BY district_code
)
SELECT d.district_code, d.awarded, i.year, count(r.id) AS retained, count(w.uscc) AS counted
FROM per_district d
LEFT JOIN imported i ON i.district_code = d.district_code
LEFT JOIN awarded w ON w.district_code = i.district_code
LEFT JOIN roster_entry r ON r.uscc = w.uscc AND r.year = i.year
GROUP BY d.district_code, d.awarded, i.year
ORDER BY d.district_code, i.year;
