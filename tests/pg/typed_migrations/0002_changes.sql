ALTER TABLE members ADD COLUMN vip BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE books RENAME COLUMN rating TO stars;
CREATE UNIQUE INDEX members_email ON members (email);

-- A view, typed from its query: the loans with their books and members.
CREATE VIEW loan_details AS
    SELECT l.id, b.title, m.email, l.returned_at, upper(m.nick) AS shout
    FROM loans l JOIN books b ON b.id = l.book_id LEFT JOIN members m ON m.id = l.member_id;
