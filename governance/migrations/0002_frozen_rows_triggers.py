"""PostgreSQL triggers that refuse to alter the register or the votes of a closed proposal.

The ORM already refuses (see governance.models); these refuse the same writes from any client
(psql, another program, a forgotten raw query). On other databases this migration does nothing.

- decisions: no DELETE; an UPDATE only when it writes the statement for the first time and
  changes nothing else;
- ballots, participations and options: no INSERT, UPDATE or DELETE unless their proposal is open
  (options: or in preparation);
- proposals: once closed or withdrawn, no DELETE and no UPDATE, except clearing the author when
  an account is deleted.

Deleting an association with a register (a deliberate, rare act) needs
`SET LOCAL asso_hub.allow_purge = 'on'` in the deleting transaction.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION governance_purge_allowed() RETURNS boolean AS $$
  SELECT coalesce(current_setting('asso_hub.allow_purge', true), '') = 'on'
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION governance_decision_frozen() RETURNS trigger AS $$
BEGIN
  IF governance_purge_allowed() THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.statement = ''
     AND (to_jsonb(NEW) - 'statement' - 'statement_author' - 'statement_at')
         = (to_jsonb(OLD) - 'statement' - 'statement_author' - 'statement_at') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'governance: decision % of the register cannot be changed or deleted', OLD.code;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION governance_vote_frozen() RETURNS trigger AS $$
DECLARE
  wanted text[] := CASE WHEN TG_TABLE_NAME = 'governance_option' THEN ARRAY['draft', 'open'] ELSE ARRAY['open'] END;
  old_status text;
  new_status text;
BEGIN
  IF governance_purge_allowed() THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT status INTO old_status FROM governance_proposal WHERE id = OLD.proposal_id;
    IF old_status IS NULL OR NOT (old_status = ANY (wanted)) THEN
      RAISE EXCEPTION 'governance: % of a closed proposal cannot be changed or deleted', TG_TABLE_NAME;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT status INTO new_status FROM governance_proposal WHERE id = NEW.proposal_id;
    IF new_status IS NULL OR NOT (new_status = ANY (wanted)) THEN
      RAISE EXCEPTION 'governance: % cannot be added to a closed proposal', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION governance_proposal_frozen() RETURNS trigger AS $$
BEGIN
  IF governance_purge_allowed() OR OLD.status NOT IN ('closed', 'withdrawn') THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.author_id IS NULL
     AND (to_jsonb(NEW) - 'author_id') = (to_jsonb(OLD) - 'author_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'governance: closed proposal % cannot be changed or deleted', OLD.code;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER governance_decision_frozen BEFORE UPDATE OR DELETE ON governance_decision
  FOR EACH ROW EXECUTE FUNCTION governance_decision_frozen();
CREATE TRIGGER governance_ballot_frozen BEFORE INSERT OR UPDATE OR DELETE ON governance_ballot
  FOR EACH ROW EXECUTE FUNCTION governance_vote_frozen();
CREATE TRIGGER governance_participation_frozen BEFORE INSERT OR UPDATE OR DELETE ON governance_participation
  FOR EACH ROW EXECUTE FUNCTION governance_vote_frozen();
CREATE TRIGGER governance_option_frozen BEFORE INSERT OR UPDATE OR DELETE ON governance_option
  FOR EACH ROW EXECUTE FUNCTION governance_vote_frozen();
CREATE TRIGGER governance_proposal_frozen BEFORE UPDATE OR DELETE ON governance_proposal
  FOR EACH ROW EXECUTE FUNCTION governance_proposal_frozen();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS governance_decision_frozen ON governance_decision;
DROP TRIGGER IF EXISTS governance_ballot_frozen ON governance_ballot;
DROP TRIGGER IF EXISTS governance_participation_frozen ON governance_participation;
DROP TRIGGER IF EXISTS governance_option_frozen ON governance_option;
DROP TRIGGER IF EXISTS governance_proposal_frozen ON governance_proposal;
DROP FUNCTION IF EXISTS governance_proposal_frozen();
DROP FUNCTION IF EXISTS governance_vote_frozen();
DROP FUNCTION IF EXISTS governance_decision_frozen();
DROP FUNCTION IF EXISTS governance_purge_allowed();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
