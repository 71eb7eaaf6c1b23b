-- Edits in the operation log move from the internally tagged form, {"type":"add_card","card":…},
-- to the externally tagged one, {"add_card":{"card":…}} (see app::domain::protocol for why).
-- Every stored edit is an object with its "type"; the one without fields ("withheld") is a
-- plain string in the new form, as serde writes unit variants.
UPDATE ops
SET edit = CASE
    WHEN json_extract(edit, '$.type') = 'withheld' THEN json_quote('withheld')
    ELSE json_object(json_extract(edit, '$.type'), json(json_remove(edit, '$.type')))
END
WHERE json_type(edit, '$.type') = 'text';
