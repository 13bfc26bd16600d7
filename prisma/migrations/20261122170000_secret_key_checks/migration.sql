-- CreateTable
CREATE TABLE "SecretKeyCheck" (
    "keyId" TEXT NOT NULL,
    "checkValue" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SecretKeyCheck_pkey" PRIMARY KEY ("keyId")
);
