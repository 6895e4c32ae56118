-- The three МКС tables this app uses, as МКС's Doctrine migrations leave them (nochlezhka/mks,
-- shared/homeless/migrations): created by Version20180408112154, changed by Version20181115102310
-- (client.is_homeless), Version20200524160538 and Version20230325090505 (service_type.amount and
-- .comment, NOT NULL flags), Version20230319140728 (immutable date comments) and
-- Version20230413185611 (ON DELETE SET NULL for the users). Only the foreign keys into these
-- three tables and the users are kept: `fos_user_user` below is a stand-in with its key alone
-- (MKS_USER_ID must name a real МКС user), and the districts are left out.

CREATE TABLE fos_user_user (id INT AUTO_INCREMENT NOT NULL, PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8 COLLATE utf8_unicode_ci ENGINE = InnoDB;

CREATE TABLE client (id INT AUTO_INCREMENT NOT NULL, last_residence_district_id INT DEFAULT NULL, last_registration_district_id INT DEFAULT NULL, created_by_id INT DEFAULT NULL, updated_by_id INT DEFAULT NULL, photo_name VARCHAR(255) DEFAULT NULL, birth_date DATE DEFAULT NULL COMMENT '(DC2Type:date_immutable)', birth_place VARCHAR(255) DEFAULT NULL, gender INT DEFAULT NULL, firstname VARCHAR(255) DEFAULT NULL, middlename VARCHAR(255) DEFAULT NULL, lastname VARCHAR(255) DEFAULT NULL, sync_id INT DEFAULT NULL, sort INT DEFAULT NULL, created_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)', updated_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)', is_homeless TINYINT(1) NOT NULL, INDEX IDX_C7440455E563C280 (last_residence_district_id), INDEX IDX_C744045560012056 (last_registration_district_id), INDEX IDX_C7440455B03A8386 (created_by_id), INDEX IDX_C7440455896DBBDE (updated_by_id), PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8 COLLATE utf8_unicode_ci ENGINE = InnoDB;

CREATE TABLE service_type (id INT AUTO_INCREMENT NOT NULL, created_by_id INT DEFAULT NULL, updated_by_id INT DEFAULT NULL, name VARCHAR(255) DEFAULT NULL, pay TINYINT(1) NOT NULL, document TINYINT(1) NOT NULL, sync_id INT DEFAULT NULL, amount TINYINT(1) NOT NULL, comment TINYINT(1) NOT NULL, sort INT DEFAULT NULL, created_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)', updated_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)', INDEX IDX_429DE3C5B03A8386 (created_by_id), INDEX IDX_429DE3C5896DBBDE (updated_by_id), PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8 COLLATE utf8_unicode_ci ENGINE = InnoDB;

CREATE TABLE service (id INT AUTO_INCREMENT NOT NULL, client_id INT DEFAULT NULL, type_id INT DEFAULT NULL, created_by_id INT DEFAULT NULL, updated_by_id INT DEFAULT NULL, comment LONGTEXT DEFAULT NULL, amount INT DEFAULT NULL, sync_id INT DEFAULT NULL, sort INT DEFAULT NULL, created_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)', updated_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)', INDEX IDX_E19D9AD219EB6921 (client_id), INDEX IDX_E19D9AD2C54C8C93 (type_id), INDEX IDX_E19D9AD2B03A8386 (created_by_id), INDEX IDX_E19D9AD2896DBBDE (updated_by_id), PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8 COLLATE utf8_unicode_ci ENGINE = InnoDB;

ALTER TABLE client ADD CONSTRAINT FK_C7440455896DBBDE FOREIGN KEY (updated_by_id) REFERENCES fos_user_user (id) ON DELETE SET NULL;
ALTER TABLE client ADD CONSTRAINT FK_C7440455B03A8386 FOREIGN KEY (created_by_id) REFERENCES fos_user_user (id) ON DELETE SET NULL;
ALTER TABLE service ADD CONSTRAINT FK_E19D9AD219EB6921 FOREIGN KEY (client_id) REFERENCES client (id);
ALTER TABLE service ADD CONSTRAINT FK_E19D9AD2C54C8C93 FOREIGN KEY (type_id) REFERENCES service_type (id);
ALTER TABLE service ADD CONSTRAINT FK_E19D9AD2896DBBDE FOREIGN KEY (updated_by_id) REFERENCES fos_user_user (id) ON DELETE SET NULL;
ALTER TABLE service ADD CONSTRAINT FK_E19D9AD2B03A8386 FOREIGN KEY (created_by_id) REFERENCES fos_user_user (id) ON DELETE SET NULL;
ALTER TABLE service_type ADD CONSTRAINT FK_429DE3C5896DBBDE FOREIGN KEY (updated_by_id) REFERENCES fos_user_user (id) ON DELETE SET NULL;
ALTER TABLE service_type ADD CONSTRAINT FK_429DE3C5B03A8386 FOREIGN KEY (created_by_id) REFERENCES fos_user_user (id) ON DELETE SET NULL;
