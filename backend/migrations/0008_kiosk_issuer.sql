-- Each kiosk's own ticket issuer number (the IIII of LP-IIII-SSSSSS-C), so the tickets a
-- kiosk prints while the central service is out of reach never collide with another
-- kiosk's or the central service's (issuer 0). Assigned at registration and kept on
-- renewal; NULL for kiosks registered before issuers existed until their key is renewed.
ALTER TABLE kiosks ADD COLUMN issuer INTEGER CHECK (issuer BETWEEN 1 AND 9999);
CREATE UNIQUE INDEX kiosks_by_issuer ON kiosks (issuer);
