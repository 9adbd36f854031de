--
-- win_rate(text) and win_rate(boolean): won / (won + lost).
--

CREATE TABLE deals (rep_id int, stage text, won boolean);
INSERT INTO deals VALUES
  (1, 'Closed Won', true), (1, 'Closed Lost', false), (1, 'Closed Won', true),
  (1, 'Negotiation', NULL), (1, NULL, NULL),
  (2, 'closedlost', false), (2, 'Prospecting', NULL),
  (3, 'Prospecting', NULL), (3, 'Engaging', NULL),
  (4, NULL, NULL);

-- The query of the README, verbatim: rep 1 won 2 of 3 closed deals, rep 2
-- lost its only closed one, reps 3 and 4 have no closed deal (NULL).
SELECT rep_id, win_rate(stage) FROM deals GROUP BY rep_id ORDER BY rep_id;
SELECT rep_id, win_rate(won) FROM deals GROUP BY rep_id ORDER BY rep_id;

-- Empty input, single rows, only NULLs.
SELECT win_rate(stage) AS empty_text, win_rate(won) AS empty_bool FROM deals WHERE false;
SELECT win_rate('Won'::text) AS one_won, win_rate('Lost'::text) AS one_lost,
       win_rate('Open'::text) AS one_open, win_rate(NULL::text) AS one_null;
SELECT win_rate(true) AS t, win_rate(false) AS f, win_rate(NULL::boolean) AS n;

-- As a window function: running and sliding frames.
SELECT i, s,
       win_rate(s) OVER (ORDER BY i) AS running,
       win_rate(s) OVER (ORDER BY i ROWS 1 PRECEDING) AS last_two
FROM (VALUES (1, 'Won'), (2, 'Lost'), (3, NULL), (4, 'Open'), (5, 'Won'), (6, 'Won')) AS v(i, s)
ORDER BY i;

DROP TABLE deals;
